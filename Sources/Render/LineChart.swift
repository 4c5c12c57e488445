import Foundation

/// One named line of a chart: (x, y) points in drawing order (non-finite points are skipped).
public struct Series {
    public var name: String
    public var points: [(x: Double, y: Double)]
    public init(name: String, points: [(x: Double, y: Double)]) { self.name = name; self.points = points }
    /// A series over x = 0, 1, 2, … (e.g. one value per epoch).
    public init(name: String, values: [Double]) {
        self.init(name: name, points: values.enumerated().map { (Double($0.offset), $0.element) })
    }
}

/// A line chart for training curves: a frame, "nice" ticks (steps of 1, 2 or 5 × 10^k) with grid
/// lines and labels on both axes, axis titles, and a legend naming each series in its colour.
/// Put several side by side with `Canvas.row` (e.g. loss and accuracy against the same steps).
public struct LineChart {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    public var width: Int
    public var height: Int

    public init(title: String, xLabel: String, yLabel: String, series: [Series], width: Int = 640, height: Int = 400) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.series = series
        self.width = width; self.height = height
    }

    /// The plot area inside the margins (left, top, right, bottom), in canvas pixels.
    public var plotArea: (x0: Int, y0: Int, x1: Int, y1: Int) { (70, 36, width - 16, height - 52) }

    public func draw() throws -> Canvas {
        let finite = series.flatMap { $0.points.filter { $0.x.isFinite && $0.y.isFinite } }
        guard !finite.isEmpty else { throw RenderError("line chart '\(title)': no finite points to draw") }
        guard width >= 200, height >= 150 else {
            throw RenderError("line chart '\(title)': \(width)x\(height) is too small (200x150 at least)")
        }
        let xs = Ticks(lower: finite.map(\.x).min()!, upper: finite.map(\.x).max()!)
        let ys = Ticks(lower: finite.map(\.y).min()!, upper: finite.map(\.y).max()!)
        let area = plotArea
        func px(_ x: Double) -> Double {
            Double(area.x0) + (x - xs.lower) / (xs.upper - xs.lower) * Double(area.x1 - area.x0)
        }
        func py(_ y: Double) -> Double {
            Double(area.y1) - (y - ys.lower) / (ys.upper - ys.lower) * Double(area.y1 - area.y0)
        }

        var c = Canvas(width: width, height: height, fill: .white)
        let font = 0.42
        for x in xs.values {
            try c.line(px(x), Double(area.y0), px(x), Double(area.y1), colour: .lightGrey)
            let text = xs.format(x), size = try Canvas.textSize(text, scale: font)
            try c.text(
                text, x: Int(px(x)) - size.width / 2, y: area.y1 + 8 + size.height, scale: font, colour: .darkGrey)
        }
        for y in ys.values {
            try c.line(Double(area.x0), py(y), Double(area.x1), py(y), colour: .lightGrey)
            let text = ys.format(y), size = try Canvas.textSize(text, scale: font)
            try c.text(
                text, x: area.x0 - 6 - size.width, y: Int(py(y)) + size.height / 2, scale: font, colour: .darkGrey)
        }
        try c.rectangle(area.x0, area.y0, area.x1, area.y1, colour: .darkGrey, thickness: 1)
        for (k, s) in series.enumerated() {
            let colour = RGB.series[k % RGB.series.count]
            let points = s.points.filter { $0.x.isFinite && $0.y.isFinite }
            for (a, b) in zip(points, points.dropFirst()) {
                try c.line(px(a.x), py(a.y), px(b.x), py(b.y), colour: colour, thickness: 2)
            }
            if points.count == 1 { try c.circle(px(points[0].x), py(points[0].y), radius: 3, colour: colour) }
        }
        try drawTitles(&c, font: font)
        try drawLegend(&c, font: font)
        return c
    }

    private func drawTitles(_ c: inout Canvas, font: Double) throws {
        let area = plotArea
        let t = try Canvas.textSize(title, scale: 0.6, thickness: 1)
        try c.text(title, x: (width - t.width) / 2, y: 8 + t.height, scale: 0.6, colour: .black)
        let xl = try Canvas.textSize(xLabel, scale: font + 0.05)
        try c.text(xLabel, x: (area.x0 + area.x1 - xl.width) / 2, y: height - 10, scale: font + 0.05, colour: .black)
        // The y title sits above the tick labels (Hershey text cannot be rotated).
        try c.text(yLabel, x: 6, y: area.y0 - 8, scale: font + 0.05, colour: .black)
    }

    private func drawLegend(_ c: inout Canvas, font: Double) throws {
        let area = plotArea
        let sizes = try series.map { try Canvas.textSize($0.name, scale: font) }
        guard let widest = sizes.map(\.width).max() else { return }
        let lineHeight = (sizes.map { $0.height + $0.baseline }.max() ?? 12) + 6
        let boxWidth = widest + 40, boxHeight = lineHeight * series.count + 8
        // The corner of the plot the curves cross least (counted on the drawn canvas: pixels
        // that are neither background nor grid).
        let corners = [(area.x1 - boxWidth - 8, area.y0 + 8), (area.x0 + 8, area.y0 + 8),
                       (area.x1 - boxWidth - 8, area.y1 - boxHeight - 8), (area.x0 + 8, area.y1 - boxHeight - 8)]
        func ink(_ corner: (Int, Int)) -> Int {
            var n = 0
            for y in corner.1...(corner.1 + boxHeight) {
                for x in corner.0...(corner.0 + boxWidth) where c[x, y] != .white && c[x, y] != .lightGrey { n += 1 }
            }
            return n
        }
        let (x0, y0) = corners.min { ink($0) < ink($1) }!
        try c.rectangle(x0, y0, x0 + boxWidth, y0 + boxHeight, colour: .white)
        try c.rectangle(x0, y0, x0 + boxWidth, y0 + boxHeight, colour: .midGrey, thickness: 1)
        for (k, s) in series.enumerated() {
            let y = y0 + 4 + k * lineHeight + lineHeight / 2
            try c.line(
                Double(x0 + 8), Double(y), Double(x0 + 28), Double(y), colour: RGB.series[k % RGB.series.count],
                thickness: 3)
            try c.text(s.name, x: x0 + 34, y: y + sizes[k].height / 2, scale: font, colour: .black)
        }
    }
}

/// Axis ticks at a "nice" step: the data range split into about five steps of 1, 2 or 5 × 10^k,
/// the axis widened outward to whole steps, so every tick label is a short round number.
struct Ticks {
    let lower: Double, upper: Double, step: Double

    init(lower dataLower: Double, upper dataUpper: Double, target: Int = 5) {
        var lo = dataLower, hi = dataUpper
        if hi - lo < 1e-12 * max(1, abs(lo)) { lo -= max(0.5, abs(lo) * 0.1); hi += max(0.5, abs(hi) * 0.1) }
        let raw = (hi - lo) / Double(target)
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let fraction = raw / magnitude
        let nice: Double = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
        step = nice * magnitude
        lower = (lo / step).rounded(.down) * step
        upper = (hi / step).rounded(.up) * step
    }

    var values: [Double] {
        let n = Int(((upper - lower) / step).rounded())
        return (0...n).map { lower + Double($0) * step }
    }

    /// A tick value with as many decimals as the step needs (none for integer steps).
    func format(_ v: Double) -> String {
        let decimals = step >= 1 ? 0 : Int((-log10(step)).rounded(.up))
        let text = String(format: "%.*f", decimals, v)
        return Double(text) == 0 ? "0" : text
    }
}
