package dev.zotune.task;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Known examples of the real files against the spec's template strings, written out by hand. */
class TaskTemplateTest {
    private static Instance validation(Task task, int i, boolean aligned) {
        return task.template(TaskDataTest.load(task).validation().get(i), aligned);
    }

    private static void check(Instance in, String prompt, List<String> candidates, int gold) {
        assertEquals(prompt, in.prompt());
        assertEquals(candidates, in.candidates());
        assertEquals(gold, in.gold());
    }

    @Test
    void sst2() {
        Instance a = Task.SST2.template(TaskDataTest.load(Task.SST2).train().getFirst(), true);
        check(a, "hide new secretions from the parental units It was", List.of(" terrible", " great"), 0);
        assertEquals("hide new secretions from the parental units It was terrible", a.goldText());
        check(Task.SST2.template(TaskDataTest.load(Task.SST2).train().getFirst(), false),
                "hide new secretions from the parental units ", List.of("terrible", "great"), 0);
    }

    @Test
    void copa() {
        check(validation(Task.COPA, 0, true), "The man turned on the faucet so ",
                List.of("the toilet filled with water.", "water flowed from the spout."), 1);
        check(validation(Task.COPA, 0, false), "The man turned on the faucet ",
                List.of("the toilet filled with water.", "water flowed from the spout."), 1);
        check(validation(Task.COPA, 3, true), "I wanted to conserve energy so ",
                List.of("I swept the floor in the unoccupied room.", "I shut off the light in the unoccupied room."), 1);
        Row cause = new Row(java.util.Map.of("premise", "The tree fell.", "choice1", "A storm came.", "choice2", "It was sunny.",
                "question", "cause", "label", 0L), "here");
        check(Task.COPA.template(cause, true), "The tree fell because ", List.of("a storm came.", "it was sunny."), 0);
    }

    @Test
    void winogrande() {
        check(validation(Task.WINOGRANDE, 1, true), "Sarah was a much better surgeon than Maria so ",
                List.of("Sarah always got the harder cases.", "Maria always got the harder cases."), 0);
    }

    @Test
    void multirc() {
        Instance in = validation(Task.MULTIRC, 0, true);
        assertTrue(in.prompt().startsWith("What causes a change in motion? The application of a force."));
        assertTrue(in.prompt().endsWith("\nQuestion: Would the mass of a baseball affect how much force you have to use to pick it up?"
                + "\nI found this answer \"No\". Is that correct? Yes or No?\n"), in.prompt());
        assertEquals(List.of("No", "Yes"), in.candidates());
        assertEquals(0, in.gold());
    }

    @Test
    void boolq() {
        Instance in = validation(Task.BOOLQ, 0, true);
        assertTrue(in.prompt().startsWith("Ethanol fuel -- All biomass goes through"));
        assertTrue(in.prompt().endsWith("than producing gasoline. Does ethanol take more energy make that produces?"), in.prompt());
        assertEquals(List.of(" Yes", " No"), in.candidates());
        assertEquals(1, in.gold());
    }

    @Test
    void cb() {
        check(validation(Task.CB, 1, true), "Suppose ``Who knows? The point is, do we go with it or not?'' Do we assume there is a shipment?"
                + " Can we infer that \"there is a shipment\"? Yes, No, or Maybe?\n", List.of("Yes", "No", "Maybe"), 2);
    }

    @Test
    void rte() {
        String premise = "Dana Reeve, the widow of the actor Christopher Reeve, has died of lung cancer at age 44, according to the Christopher Reeve Foundation.";
        check(validation(Task.RTE, 0, true), premise + "\nDoes this mean that \"Christopher Reeve had an accident.\" is true? Yes or No?\n",
                List.of("Yes", "No"), 1);
        check(validation(Task.RTE, 0, false), premise + "\n\"Christopher Reeve had an accident.\"\n", List.of("Yes", "No"), 1);
    }

    @Test
    void wic() {
        check(validation(Task.WIC, 0, true), "Does the word \"class\" have the same meaning in these two sentences? Yes, No?\n"
                + "An emerging professional class.\nApologizing for losing your temper, even though you were badly provoked, showed real class.\n",
                List.of("No", "Yes"), 0);
    }

    @Test
    void wsc() {
        Instance in = validation(Task.WSC, 0, true);
        assertTrue(in.prompt().startsWith("Bernard , who had not told"));
        assertTrue(in.prompt().endsWith("take his claim away from him .\nIn the previous sentence, does the pronoun \"him\" refer to anyone? Yes or No?\n"));
        assertEquals(List.of("No", "Yes"), in.candidates());
        assertEquals(0, in.gold());
    }

    @Test
    void record() {
        Instance in = validation(Task.RECORD, 0, true);
        assertTrue(in.prompt().contains("crime.\n- NEW: Kill a Bhutto and another will emerge, the young Bhutto-Zardari said\n- NEW:"), in.prompt());
        assertTrue(in.prompt().endsWith("fifth anniversary of her death\n- "));
        assertTrue(in.candidates().size() > 1);
        Row row = TaskDataTest.load(Task.RECORD).validation().getFirst();
        String gold = in.candidates().get(in.gold());
        assertTrue(row.texts("answers").stream().anyMatch(a -> gold.equals(row.text("query").replace("@placeholder", a))), gold);
        assertTrue(in.candidates().stream().noneMatch(c -> c.contains("@placeholder")));
    }

    @Test
    void squad() {
        Instance in = Task.SQUAD.template(TaskDataTest.load(Task.SQUAD).train().getFirst(), true);
        assertTrue(in.prompt().startsWith("Title: Super_Bowl_50\nContext: Super Bowl 50 was an American football game"));
        assertTrue(in.prompt().endsWith("\nQuestion: Which NFL team represented the AFC at Super Bowl 50?\nAnswer:"));
        assertEquals(List.of(" Denver Broncos\n"), in.candidates());
        assertEquals(List.of("Denver Broncos", "Denver Broncos", "Denver Broncos"), in.references());
    }

    @Test
    void taskNames() {
        assertEquals(Task.SST2, Task.of("SST-2"));
        assertEquals(Task.WINOGRANDE, Task.of("winogrande"));
    }
}
