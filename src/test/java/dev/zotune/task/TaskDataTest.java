package dev.zotune.task;

import dev.zotune.Shared;
import dev.zotune.io.ZotuneException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The official files in shared/data: record counts and label counts as its README states them. */
class TaskDataTest {
    static TaskData load(Task task) {
        return TaskData.local(task, Shared.path("data"));
    }

    @ParameterizedTest
    @CsvSource({
            "sst2, 67349, 872",
            "copa, 400, 100",
            "winogrande, 2558, 1267",
            "multirc, 27243, 4848",
            "boolq, 64, 3270",
            "cb, 250, 56",
            "rte, 2490, 277",
            "wic, 5428, 638",
            "wsc, 554, 104",
            "record, 32, 32",
    })
    void recordCountsMatchTheReadme(String name, int train, int validation) {
        TaskData d = load(Task.of(name));
        assertEquals(train, d.train().size(), "train");
        assertEquals(validation, d.validation().size(), "validation");
        assertTrue(d.source().startsWith("local files "), d.source());
    }

    @Test
    void squadDevIsSplitByArticle() {
        TaskData d = load(Task.SQUAD);
        assertEquals(5696, d.train().size(), "questions of the first 24 of 48 articles");
        assertEquals(10570, d.train().size() + d.validation().size());
    }

    @Test
    void labelCountsMatchTheReadme() {
        assertEquals(37569, goldCount(load(Task.SST2).train(), Task.SST2, 1), "SST-2 positives");
        List<Row> cb = load(Task.CB).validation();
        assertEquals(List.of(23L, 28L, 5L), List.of(goldCount(cb, Task.CB, 0), goldCount(cb, Task.CB, 1), goldCount(cb, Task.CB, 2)));
        assertEquals(2033, goldCount(load(Task.BOOLQ).validation(), Task.BOOLQ, 0), "BoolQ val true = Yes");
        assertEquals(146, goldCount(load(Task.RTE).validation(), Task.RTE, 0), "RTE val entailment = Yes");
        assertEquals(38, goldCount(load(Task.WSC).validation(), Task.WSC, 1), "WSC val true = Yes");
        assertEquals(639, goldCount(load(Task.WINOGRANDE).validation(), Task.WINOGRANDE, 1), "WinoGrande dev answer 2");
        assertEquals(45, goldCount(load(Task.COPA).validation(), Task.COPA, 1), "COPA val choice2");
    }

    private static long goldCount(List<Row> rows, Task task, int gold) {
        return rows.stream().filter(r -> task.template(r, true).gold() == gold).count();
    }

    @Test
    void everyExampleOfEveryTaskTemplates() {
        for (Task t : Task.values()) {
            TaskData d = load(t);
            for (Row r : d.train()) t.template(r, false);
            for (Row r : d.validation()) t.template(r, true);
        }
    }

    @Test
    void badFilesNameTheFileAndLine(@TempDir Path dir) throws IOException {
        Path cb = Files.createDirectories(dir.resolve("cb"));
        Files.writeString(cb.resolve("train.jsonl"), "{\"premise\":\"p\",\"hypothesis\":\"h\",\"label\":\"neutral\"}\n{oops\n");
        Files.writeString(cb.resolve("val.jsonl"), "");
        ZotuneException e = assertThrows(ZotuneException.class, () -> TaskData.local(Task.CB, dir));
        assertTrue(e.getMessage().startsWith(cb.resolve("train.jsonl") + ":2: not valid JSON"), e.getMessage());

        Files.writeString(cb.resolve("train.jsonl"), "{\"premise\":\"p\",\"hypothesis\":\"h\",\"label\":\"maybe\"}\n");
        TaskData d = TaskData.local(Task.CB, dir);
        e = assertThrows(ZotuneException.class, () -> Task.CB.template(d.train().getFirst(), true));
        assertTrue(e.getMessage().startsWith(cb.resolve("train.jsonl") + ":1: label 'maybe'"), e.getMessage());

        Path sst2 = Files.createDirectories(dir.resolve("sst2"));
        Files.writeString(sst2.resolve("train.tsv"), "sentence\tlabel\ngood \t1\nno tab here\n");
        e = assertThrows(ZotuneException.class, () -> TaskData.local(Task.SST2, dir));
        assertEquals(sst2.resolve("train.tsv") + ":3: 1 columns, the header has 2", e.getMessage());

        e = assertThrows(ZotuneException.class, () -> TaskData.local(Task.RTE, dir));
        assertTrue(e.getMessage().contains("rte: no data folder for task rte"), e.getMessage());
        Files.createDirectories(dir.resolve("rte"));
        e = assertThrows(ZotuneException.class, () -> TaskData.local(Task.RTE, dir));
        assertEquals(dir.resolve("rte/train.jsonl") + ": data file not found", e.getMessage());
    }

    @Test
    void anExplicitDataDirMustExist(@TempDir Path dir) {
        ZotuneException e = assertThrows(ZotuneException.class, () -> TaskData.load(Task.CB, dir.resolve("nope")));
        assertEquals(dir.resolve("nope") + ": data folder not found", e.getMessage());
    }
}
