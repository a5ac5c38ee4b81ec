package dev.zotune.model;

import dev.zotune.Shared;
import dev.zotune.io.ZotuneException;
import dev.zotune.optim.Param;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which tensors each scheme trains. */
class SchemeTest {
    private static final String STORIES = Shared.path("models/stories260K-hf").toString();

    @Test
    void loraAdaptsExactlyTheLayersNamed() {
        try (TransformerModel m = Models.load(STORIES)) {
            Scheme.Options o = new Scheme.Options(4, 8, Set.of("o_proj", "down_proj"), 5, 10);
            List<Param> p = Scheme.LORA.apply(m, o, 1);
            assertEquals(m.config().layers() * 4, p.size());
            assertTrue(p.stream().allMatch(x -> x.name().matches(".*(o_proj|down_proj)\\.lora_[AB]")), p.toString());
            assertEquals(4, p.getFirst().tensor().dim(0), "rank 4");
        }
    }

    @Test
    void loraRefusesLayersThatTakeNoUpdate() {
        try (TransformerModel m = Models.load(STORIES)) {
            Scheme.Options o = new Scheme.Options(8, 16, Set.of("lm_head", "embed_tokens"), 5, 10);
            ZotuneException e = assertThrows(ZotuneException.class, () -> Scheme.LORA.apply(m, o, 1));
            assertTrue(e.getMessage().startsWith("lora: no linear layer"), e.getMessage());
        }
    }

    @Test
    void fullFineTuningTrainsWhatTheForwardReadsInCheckpointOrder() {
        try (TransformerModel m = Models.loadWritable(STORIES)) {
            List<String> names = Scheme.FT.apply(m, Scheme.Options.defaults(), 1).stream().map(Param::name).toList();
            assertEquals(m.checkpoint().names().stream().filter(names::contains).toList(), names);
            assertTrue(names.contains("model.embed_tokens.weight") && names.contains("model.norm.weight"));
            assertFalse(m.config().tieWordEmbeddings() && names.contains("lm_head.weight"));
        }
    }
}
