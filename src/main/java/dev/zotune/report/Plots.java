package dev.zotune.report;

import dev.zotune.report.Results.Breakdown;
import org.knowm.xchart.AnnotationText;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The report's charts (XChart), rendered to PNG bytes. Needs AWT in headless mode where there is no
 * display: {@code java.awt.headless=true} must be set before the first chart is built.
 */
final class Plots {
    static final int WIDTH = 800, HEIGHT = 500;
    /** Loss curves are drawn with at most this many points (after smoothing), so long ZO runs stay small. */
    private static final int MAX_POINTS = 2000;

    private Plots() {}

    /** A named line: x and y of equal length. */
    record Line(String name, double[] x, double[] y) {}

    /** A labelled point of a scatter series. */
    record Point(String label, double x, double y) {}

    /** A line chart of {@code lines} (those with no points left out); {@code markers} for sparse series such as evaluations. */
    static XYChart lines(String title, String xTitle, String yTitle, List<Line> lines, boolean logX, boolean markers) {
        XYChart chart = xy(title, xTitle, yTitle, logX);
        for (Line l : lines) {
            if (l.x().length == 0) continue;
            XYSeries s = chart.addSeries(l.name(), l.x(), l.y());
            if (!markers) s.setMarker(SeriesMarkers.NONE);
        }
        return chart;
    }

    /** Scatter series, one per name, each point labelled beside it. */
    static XYChart scatter(String title, String xTitle, String yTitle, List<String> names, List<List<Point>> points, boolean logX) {
        XYChart chart = xy(title, xTitle, yTitle, logX);
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        chart.getStyler().setMarkerSize(9);
        for (int i = 0; i < names.size(); i++) {
            List<Point> ps = points.get(i);
            if (ps.isEmpty()) continue;
            chart.addSeries(names.get(i), ps.stream().mapToDouble(Point::x).toArray(), ps.stream().mapToDouble(Point::y).toArray());
            for (Point p : ps) chart.addAnnotation(new AnnotationText(p.label(), p.x(), p.y(), false));
        }
        return chart;
    }

    /**
     * Stacked bars of tracked bytes by category, one bar per name; values in GiB where the largest bar
     * reaches 1 GiB, else MiB. Absent (negative) categories count as zero. Each category's peak may fall
     * at a different moment, so a bar can exceed the total peak.
     */
    static CategoryChart breakdown(String title, List<String> names, List<Breakdown> bars) {
        double max = bars.stream().mapToDouble(b -> Arrays.stream(b.values()).filter(v -> v > 0).sum()).max().orElse(0);
        boolean gib = max >= Format.GIB;
        double unit = gib ? Format.GIB : Format.MIB;
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(title)
                .xAxisTitle("Optimizer").yAxisTitle("Peak per category, stacked (" + (gib ? "GiB" : "MiB") + ")").build();
        chart.getStyler().setStacked(true);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setXAxisLabelRotation(20);
        for (int k = 0; k < Breakdown.CATEGORIES.size(); k++) {
            List<Double> ys = new ArrayList<>();
            for (Breakdown b : bars) ys.add(Math.max(0, b.values()[k]) / unit);
            chart.addSeries(Breakdown.CATEGORIES.get(k), names, ys);
        }
        return chart;
    }

    /** The trailing running mean over {@code window} points, thinned to at most {@link #MAX_POINTS} evenly spaced points. */
    static Line smoothed(String name, double[] x, double[] y, int window) {
        double[] mean = new double[y.length];
        double sum = 0;
        for (int i = 0; i < y.length; i++) {
            sum += y[i];
            if (i >= window) sum -= y[i - window];
            mean[i] = sum / Math.min(i + 1, window);
        }
        int stride = Math.max(1, (y.length + MAX_POINTS - 1) / MAX_POINTS), n = (y.length + stride - 1) / stride;
        double[] xs = new double[n], ys = new double[n];
        for (int i = 0; i < n; i++) {
            xs[i] = x[i * stride];
            ys[i] = mean[i * stride];
        }
        return new Line(name, xs, ys);
    }

    /** The chart as a PNG image. */
    static byte[] png(Chart<?, ?> chart) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException(e);   // an in-memory stream does not fail
        }
        return out.toByteArray();
    }

    private static XYChart xy(String title, String xTitle, String yTitle, boolean logX) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        chart.getStyler().setXAxisLogarithmic(logX);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        return chart;
    }
}
