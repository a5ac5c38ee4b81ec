package dev.zotune.task;

import dev.zotune.Shared;
import dev.zotune.io.TextTokenizer;
import dev.zotune.model.Models;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Option tokens, truncation and the encoder forms with the stories260K SentencePiece and the MiniLM WordPiece tokenizers. */
class TaskEncodingTest {
    static TextTokenizer stories;
    static TextTokenizer wordPiece;

    @BeforeAll
    static void tokenizers() {
        wordPiece = Models.tokenizer("minilm");
        stories = Models.tokenizer(Shared.path("models/stories260K-hf").toString());
    }

    @AfterAll
    static void close() {
        if (stories != null) stories.close();
        if (wordPiece != null) wordPiece.close();
    }

    private static Instance sst2(String sentence, int label, boolean aligned) {
        return Task.SST2.template(new Row(java.util.Map.of("sentence", sentence, "label", (long) label), "test"), aligned);
    }

    @Test
    void causalOptionsWithSentencePiece() {
        Instance in = sst2("the cat sat on the mat ", 1, true);
        CausalEncoder.CausalExample ex = new CausalEncoder(stories, 512).encode(in);
        int[] prompt = stories.encode("the cat sat on the mat It was");
        assertEquals(1, prompt[0], "BOS");
        assertArrayEquals(prompt, ex.prompt());
        assertTrue(ex.prefixHolds());
        for (int c = 0; c < 2; c++) {
            CausalEncoder.Option o = ex.options().get(c);
            assertArrayEquals(stories.encode(in.prompt() + in.candidates().get(c)), o.ids(), "prompt + candidate, as one text");
            assertEquals(prompt.length, o.start());
            assertEquals(in.candidates().get(c).strip(), stories.decode(o.optionIds()));
        }
        assertEquals(ex.options().get(1), ex.goldOption());
    }

    @Test
    void aBrokenPrefixTakesTheTailAfterThePromptsLength() {
        // The unaligned prompt ends in a space: SentencePiece joins it to the candidate's first piece.
        Instance in = sst2("the cat sat", 0, false);
        CausalEncoder.CausalExample ex = new CausalEncoder(stories, 512).encode(in);
        assertFalse(ex.prefixHolds());
        int[] whole = stories.encode(in.prompt() + in.candidates().getFirst());
        CausalEncoder.Option o = ex.options().getFirst();
        assertArrayEquals(whole, o.ids());
        assertArrayEquals(Arrays.copyOfRange(whole, ex.prompt().length, whole.length), o.optionIds());
        assertTrue(o.optionIds().length >= 1);
    }

    @Test
    void longInputsLoseTokensFromTheLeftKeepingBos() {
        Instance in = Task.RTE.template(TaskDataTest.load(Task.RTE).validation().getFirst(), true);
        CausalEncoder.CausalExample full = new CausalEncoder(stories, 4096).encode(in);
        CausalEncoder.CausalExample cut = new CausalEncoder(stories, 16).encode(in);
        for (int c = 0; c < 2; c++) {
            int[] ids = cut.options().get(c).ids(), all = full.options().get(c).ids();
            assertEquals(16, ids.length);
            assertEquals(1, ids[0], "BOS kept");
            assertArrayEquals(Arrays.copyOfRange(all, all.length - 15, all.length), Arrays.copyOfRange(ids, 1, 16));
            assertArrayEquals(full.options().get(c).optionIds(), cut.options().get(c).optionIds());
        }
        assertEquals(16, cut.prompt().length);
        assertEquals(1, cut.prompt()[0]);
    }

    @Test
    void causalOptionsWithWordPiece() {
        Instance in = sst2("a gorgeous , witty film", 1, true);
        CausalEncoder.CausalExample ex = new CausalEncoder(wordPiece, 512).encode(in);
        int cls = wordPiece.tokenId("[CLS]");
        assertEquals(cls, ex.prompt()[0]);
        assertFalse(Arrays.stream(ex.prompt()).anyMatch(t -> t == wordPiece.tokenId("[SEP]")), "no trailing [SEP] in a causal text");
        assertTrue(ex.prefixHolds());
        assertArrayEquals(new int[] {wordPiece.tokenId("terrible")}, ex.options().get(0).optionIds());
        assertArrayEquals(new int[] {wordPiece.tokenId("great")}, ex.options().get(1).optionIds());
        // COPA's candidates are several tokens each
        Instance copa = Task.COPA.template(TaskDataTest.load(Task.COPA).validation().getFirst(), true);
        CausalEncoder.Option o = new CausalEncoder(wordPiece, 512).encode(copa).options().get(1);
        assertEquals("water flowed from the spout.", wordPiece.decode(o.optionIds()).replace(" .", "."));
    }

    @Test
    void maskedLmFormWithWordPiece() {
        MlmEncoder.MlmExample ex = new MlmEncoder(wordPiece, Task.SST2, 512).encode(sst2("a gorgeous , witty film ", 1, true));
        int[] expected = Specials.concat(new int[] {wordPiece.tokenId("[CLS]")}, wordPiece.encode("a gorgeous , witty film it was", false),
                new int[] {wordPiece.tokenId("[MASK]"), wordPiece.tokenId("."), wordPiece.tokenId("[SEP]")});
        assertArrayEquals(expected, ex.ids());
        assertEquals(wordPiece.tokenId("[MASK]"), ex.ids()[ex.maskPosition()]);
        assertArrayEquals(new int[] {wordPiece.tokenId("terrible"), wordPiece.tokenId("great")}, ex.labelWordIds());
        assertEquals(1, ex.gold());

        MlmEncoder.MlmExample cut = new MlmEncoder(wordPiece, Task.SST2, 6).encode(sst2("a gorgeous , witty film ", 1, true));
        assertEquals(6, cut.ids().length);
        assertEquals(wordPiece.tokenId("[MASK]"), cut.ids()[cut.maskPosition()]);
        assertEquals(wordPiece.tokenId("was"), cut.ids()[cut.maskPosition() - 1]);

        Instance rte = Task.RTE.template(TaskDataTest.load(Task.RTE).validation().getFirst(), true);
        MlmEncoder.MlmExample r = new MlmEncoder(wordPiece, Task.RTE, 512).encode(rte);
        assertArrayEquals(new int[] {wordPiece.tokenId("yes"), wordPiece.tokenId("no")}, r.labelWordIds());
        assertEquals(r.ids().length - 2, r.maskPosition());
    }

    @Test
    void classificationFormsWithWordPiece() {
        int cls = wordPiece.tokenId("[CLS]"), sep = wordPiece.tokenId("[SEP]");
        Instance rte = Task.RTE.template(TaskDataTest.load(Task.RTE).validation().getFirst(), true);
        ClassificationEncoder.ClassificationExample ex = new ClassificationEncoder(wordPiece, Task.RTE, 512).encode(rte);
        assertFalse(ex.multipleChoice());
        assertEquals(2, ex.numClasses());
        assertArrayEquals(wordPiece.encode(rte.prompt()), ex.ids().getFirst());
        assertTrue(Arrays.stream(ex.typeIds().getFirst()).allMatch(t -> t == 0));

        Instance copa = Task.COPA.template(TaskDataTest.load(Task.COPA).validation().getFirst(), true);
        ClassificationEncoder.ClassificationExample mc = new ClassificationEncoder(wordPiece, Task.COPA, 12).encode(copa);
        assertTrue(mc.multipleChoice());
        assertEquals(2, mc.ids().size());
        for (int c = 0; c < 2; c++) {
            int[] ids = mc.ids().get(c), types = mc.typeIds().get(c);
            assertEquals(12, ids.length);
            assertEquals(cls, ids[0]);
            assertEquals(sep, ids[ids.length - 1]);
            assertEquals(1, types[types.length - 1], "the candidate is the second segment");
            assertEquals(0, types[1]);
        }
        assertEquals(List.of(1), List.of(mc.gold()));
    }
}
