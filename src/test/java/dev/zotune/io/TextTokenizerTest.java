package dev.zotune.io;

import dev.zotune.io.builtin.MiniLmCheckpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class TextTokenizerTest {
    private static final Path MODELS = Path.of("/work/shared/models");
    private static final Path STORIES = MODELS.resolve("stories260K-hf");
    private static final Path BERT = MODELS.resolve("bert-base-uncased");

    private static Path shared(Path p) {
        assumeTrue(Files.exists(p), "skipped: " + p + " is absent (shared model files not mounted)");
        return p;
    }

    @Test
    void storiesEncodingsMatchLlama2c() {
        try (TextTokenizer t = TextTokenizer.load(shared(STORIES))) {
            assertArrayEquals(new int[] {1, 403, 407, 261, 378}, t.encode("Once upon a time"));
            assertArrayEquals(new int[] {1, 317, 269, 274, 287, 337, 266, 322, 265, 282, 295, 433, 426},
                    t.encode("Lily and Tom played in the park."));
            assertArrayEquals(new int[] {1, 291, 284, 414, 435, 417, 411, 286, 298, 276, 294, 443},
                    t.encode("The movie was great!"));
            assertArrayEquals(new int[] {403, 407, 261, 378}, t.encode("Once upon a time", false));
            assertEquals(512, t.vocabSize());
            assertEquals(1, t.tokenId("<s>"));
            assertEquals(2, t.tokenId("</s>"));
            assertNull(t.tokenId("[MASK]"));
        }
    }

    @Test
    void storiesDecodesTheGreedyReference() throws Exception {
        JsonNode greedy = new ObjectMapper().readTree(shared(STORIES).resolve("manifest.json").toFile()).get("greedy");
        int[] ids = new int[greedy.get("token_ids").size()];
        for (int i = 0; i < ids.length; i++) ids[i] = greedy.get("token_ids").get(i).asInt();
        try (TextTokenizer t = TextTokenizer.load(STORIES)) {
            String text = greedy.get("decoded_text").asText();
            assertEquals(text, t.decode(ids));
            assertArrayEquals(ids, t.encode(text));
        }
    }

    @Test
    void batchKeepsEachLength() {
        try (TextTokenizer t = TextTokenizer.load(shared(STORIES))) {
            int[][] batch = t.encodeBatch(List.of("Once upon a time", "The movie was great!", ""));
            assertArrayEquals(new int[] {1, 403, 407, 261, 378}, batch[0]);
            assertArrayEquals(t.encode("The movie was great!"), batch[1]);
            assertArrayEquals(new int[] {1}, batch[2]);
        }
    }

    @Test
    void longTextIsNotTruncated() {
        try (TextTokenizer t = TextTokenizer.load(shared(STORIES))) {
            assertTrue(t.encode("Once upon a time ".repeat(300)).length > 900);
        }
    }

    @Test
    void bertMaskPrompt() {
        try (TextTokenizer t = TextTokenizer.load(shared(BERT))) {
            int[] ids = t.encode("The capital of France is [MASK].");
            assertArrayEquals(new int[] {101, 1996, 3007, 1997, 2605, 2003, 103, 1012, 102}, ids);
            assertEquals(103, t.tokenId("[MASK]"));
            assertEquals(2307, t.tokenId("great"));
            assertEquals(30522, t.vocabSize());
            assertEquals("the capital of france is.", t.decode(ids));
        }
    }

    /** The lead wants the MiniLM jar's tokenizer.json to stand in for bert-base-uncased's. */
    @Test
    void miniLmResourceTokenizesLikeBertBaseUncased() {
        List<String> sentences = List.of(
                "The capital of France is [MASK].",
                "Hello I'm a [MASK] model.",
                "a gripping, funny and ultimately heartbreaking film. It was [MASK].",
                "The movie was terrible; I walked out after 20 minutes!!!",
                "Don't you think it's over-hyped? It's just... okay.",
                "Café crème brûlée à la carte, naïve résumé.",
                "ÉCOLE Normale SUPÉRIEURE",
                "東京は日本の首都です。",
                "北京欢迎你",
                "서울은 한국의 수도입니다.",
                "Москва — столица России.",
                "Η Αθήνα είναι πρωτεύουσα.",
                "مرحبا بالعالم",
                "Emoji: 😀👍🏽 and ❤️ and 🇫🇷",
                "  leading and   multiple    spaces\tand\ttabs\nand\r\nnewlines  ",
                "unbelievably antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis",
                "Prices: $3.50, €12, 50% off; e-mail: someone@example.com; https://example.org/a?b=c",
                "[CLS] [SEP] [PAD] [UNK] [MASK] [mask] [Mask]",
                "Ｆｕｌｌ－ｗｉｄｔｈ ｔｅｘｔ and “curly quotes” and ‘single’ — dashes…",
                "Control\u0000chars\u0007and\u00a0nbsp\u200bzero-width",
                "x".repeat(150) + " " + "word ".repeat(300));
        try (TextTokenizer bert = TextTokenizer.load(shared(BERT));
             TextTokenizer miniLm = TextTokenizer.fromResource(MiniLmCheckpoint.TOKENIZER_RESOURCE)) {
            List<String> differ = new ArrayList<>();
            for (String s : sentences) {
                int[] a = bert.encode(s), b = miniLm.encode(s);
                if (!Arrays.equals(a, b)) differ.add(s + ": " + Arrays.toString(a) + " vs " + Arrays.toString(b));
            }
            assertEquals(List.of(), differ);
            assertEquals(303, miniLm.encode(sentences.getLast()).length, "the file's truncation at 128 is off");
            int[] ids = bert.encode(sentences.getFirst());
            assertEquals(bert.decode(ids), miniLm.decode(ids));
            assertEquals(bert.vocabSize(), miniLm.vocabSize());
            assertEquals(bert.tokenId("[MASK]"), miniLm.tokenId("[MASK]"));
        }
    }

    @Test
    void missingFileIsNamed(@TempDir Path dir) {
        ZotuneException e = assertThrows(ZotuneException.class, () -> TextTokenizer.load(dir));
        assertTrue(e.getMessage().contains(dir.resolve("tokenizer.json").toString()), e.getMessage());
    }

    @Test
    void corruptFileIsNamed(@TempDir Path dir) throws Exception {
        Path bad = Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": {\"vocab\": ");
        ZotuneException e = assertThrows(ZotuneException.class, () -> TextTokenizer.load(dir));
        assertTrue(e.getMessage().contains(bad.toString()) && !e.getMessage().contains("\n"), e.getMessage());

        Files.writeString(bad, "{\"model\": {\"type\": \"Nonsense\", \"vocab\": {}}}");
        e = assertThrows(ZotuneException.class, () -> TextTokenizer.load(bad));
        assertTrue(e.getMessage().contains(bad.toString()) && !e.getMessage().contains("\n"), e.getMessage());
    }
}
