package dev.zotune.task;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SquadMetricTest {
    @Test
    void normalisation() {
        assertEquals("denver broncos", SquadMetric.normalize("The  Denver Broncos!"));
        assertEquals("cat in hat", SquadMetric.normalize("A cat, in the hat."));
        assertEquals("theory", SquadMetric.normalize("theory")); // articles only as whole words
    }

    @Test
    void knownScores() {
        List<String> refs = List.of("Denver Broncos", "The Denver Broncos");
        assertEquals(1.0, SquadMetric.exactMatch("the denver broncos.", refs));
        assertEquals(1.0, SquadMetric.f1("Denver Broncos", refs));
        assertEquals(0.0, SquadMetric.exactMatch("Broncos", refs));
        assertEquals(2.0 / 3, SquadMetric.f1("the Broncos", refs), 1e-12); // P 1/1, R 1/2
        // precision 2/4, recall 2/2: F1 = 2/3
        assertEquals(2.0 / 3, SquadMetric.f1("Denver Broncos won it", List.of("Denver Broncos")), 1e-12);
        assertEquals(0.0, SquadMetric.f1("", refs));
        assertEquals(0.0, SquadMetric.f1("Carolina Panthers", refs));
        // best over the references
        assertEquals(1.0, SquadMetric.f1("Santa Clara", List.of("Levi's Stadium", "Santa Clara, California", "Santa Clara")));
        // a repeated token matches once per occurrence in the reference: P 1/2, R 1
        assertEquals(2.0 / 3, SquadMetric.f1("b b", List.of("b")), 1e-12);
    }
}
