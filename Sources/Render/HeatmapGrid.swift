import COpenCVBridge
import Foundation

/// One row of a heatmap grid: a crop and the J heatmaps to show over it (targets or predictions).
public struct HeatmapRow {
    /// The crop as the network sees it before normalisation (RGB).
    public var crop: Canvas
    public var heatmaps: JointHeatmaps
    /// Per-joint target weight; a joint with weight 0 is greyed out and marked "w=0".
    public var weights: [Float]
    /// Written on the crop tile, e.g. "#17 target".
    public var label: String
    /// Predictions are drawn stretched from their own minimum to their peak (a barely trained
    /// network's maps lie within 0.001 of each other and would show as flat blue), and their
    /// arg-max is marked whatever its value; the tile's "max" still gives the true peak. Targets
    /// are drawn as they are, like the reference.
    public var isPrediction: Bool

    public init(crop: Canvas, heatmaps: JointHeatmaps, weights: [Float], label: String, isPrediction: Bool = false) {
        self.crop = crop; self.heatmaps = heatmaps; self.weights = weights; self.label = label
        self.isPrediction = isPrediction
    }
}

/// The heatmap grid: one row per `HeatmapRow`, the crop first, then one tile per joint with that
/// joint's heatmap in JET blended over the crop, `0.7 * jet + 0.3 * crop` (the reference's
/// `save_batch_heatmaps`), upsampled to the tile size so it can be judged by eye. Each joint tile
/// has the joint's name, its peak value, and a white dot with a black ring at the arg-max; tiles
/// of zero-weight joints are grey with a red frame and "w=0".
///
/// Size: `(J + 1) * tileWidth` by `rows * tileHeight`, where `tileHeight = tile` and
/// `tileWidth = round(tile * cropWidth / cropHeight)` (square tiles for square crops).
public struct HeatmapGrid {
    public var jointNames: [String]
    public var tile: Int

    /// The colours of the arg-max marker: its disc and the ring around it.
    public static let markerColour = RGB.white, markerRing = RGB.black
    /// The frame and text colour of a zero-weight joint's tile.
    public static let zeroWeightColour = RGB.red

    public init(jointNames: [String], tile: Int = 128) {
        self.jointNames = jointNames
        self.tile = tile
    }

    /// Tile width and height for crops of `cropWidth` x `cropHeight`.
    public func tileSize(cropWidth: Int, cropHeight: Int) -> (width: Int, height: Int) {
        (max(1, Int((Double(tile) * Double(cropWidth) / Double(cropHeight)).rounded())), tile)
    }

    /// Where, inside a joint tile, the marker of heatmap cell (x, y) is centred: the cell's centre
    /// under OpenCV's resize convention, `(x + 0.5) * tileWidth / heatmapWidth - 0.5` (same for y).
    public static func markerCentre(x: Int, y: Int, heatmapWidth: Int, heatmapHeight: Int,
                                    tileWidth: Int, tileHeight: Int) -> (x: Double, y: Double) {
        ((Double(x) + 0.5) * Double(tileWidth) / Double(heatmapWidth) - 0.5,
         (Double(y) + 0.5) * Double(tileHeight) / Double(heatmapHeight) - 0.5)
    }

    public func draw(_ rows: [HeatmapRow]) throws -> Canvas {
        guard let first = rows.first else { throw RenderError("heatmap grid: no samples to draw") }
        let joints = first.heatmaps.joints
        guard jointNames.count == joints else {
            throw RenderError("heatmap grid: \(jointNames.count) joint names for \(joints) heatmaps")
        }
        guard tile >= 16 else { throw RenderError("heatmap grid: tile size \(tile) is below 16 pixels") }
        let (tw, th) = tileSize(cropWidth: first.crop.width, cropHeight: first.crop.height)
        var grid = Canvas(width: (joints + 1) * tw, height: rows.count * th, fill: .darkGrey)
        var painter = TilePainter(tileWidth: tw, tileHeight: th)
        for (r, row) in rows.enumerated() {
            guard row.heatmaps.joints == joints, row.weights.count == joints else {
                throw RenderError("""
                    heatmap grid: row \(r) (\(row.label)) has \(row.heatmaps.joints) heatmaps and \
                    \(row.weights.count) weights, expected \(joints)
                    """)
            }
            guard row.crop.width == first.crop.width, row.crop.height == first.crop.height else {
                throw RenderError("""
                    heatmap grid: row \(r) (\(row.label)) crop is \(row.crop.width)x\(row.crop.height), the first is \
                    \(first.crop.width)x\(first.crop.height)
                    """)
            }
            let cropTile = try row.crop.resized(width: tw, height: th)
            let y = r * th
            var labelled = cropTile
            try labelled.label(row.label, x: 2, y: 2, scale: fontScale)
            try frame(&labelled)
            grid.paste(labelled, x: 0, y: y)
            for j in 0..<joints {
                var jointTile = try painter.blend(
                    row.heatmaps, joint: j, range: row.isPrediction ? row.heatmaps.range(j) : nil,
                    over: cropTile)
                try annotate(&jointTile, row: row, joint: j)
                grid.paste(jointTile, x: (j + 1) * tw, y: y)
            }
        }
        return grid
    }

    private var fontScale: Double { Double(tile) / 320 }

    /// Name, peak value, arg-max marker, zero-weight marking, and the tile frame.
    private func annotate(_ t: inout Canvas, row: HeatmapRow, joint j: Int) throws {
        let peak = row.heatmaps.argmax(j)
        let zeroWeight = row.weights[j] == 0
        if zeroWeight { t.desaturate() }
        try t.label(jointNames[j], x: 2, y: 2, scale: fontScale)
        let value = "max " + formatValue(Double(peak.value))
        let size = try Canvas.textSize(value, scale: fontScale * 0.85)
        try t.label(value, x: 2, y: t.height - size.height - size.baseline - 6, scale: fontScale * 0.85)
        if zeroWeight {
            let thick = max(2, t.height / 48)
            try t.rectangle(0, 0, t.width - 1, t.height - 1, colour: Self.zeroWeightColour, thickness: thick)
            let mark = try Canvas.textSize("w=0", scale: fontScale * 1.2, thickness: 2)
            try t.text("w=0", x: t.width - mark.width - 2 * thick - 2, y: t.height - 2 * thick - mark.baseline,
                       scale: fontScale * 1.2, colour: Self.zeroWeightColour, thickness: 2)
        } else {
            try frame(&t)
        }
        // The marker goes on last, so no label ever hides it.
        if peak.value > 0 || row.isPrediction {
            let c = Self.markerCentre(x: peak.x, y: peak.y, heatmapWidth: row.heatmaps.width,
                                      heatmapHeight: row.heatmaps.height, tileWidth: t.width, tileHeight: t.height)
            let radius = max(2, Double(t.height) / 64)
            try t.circle(c.x, c.y, radius: radius + 1.25, colour: Self.markerRing)
            try t.circle(c.x, c.y, radius: radius, colour: Self.markerColour)
        }
    }

    /// A one-pixel dark line on the right and bottom edges, so neighbouring tiles read apart.
    private func frame(_ t: inout Canvas) throws {
        try t.rectangle(t.width - 1, 0, t.width - 1, t.height - 1, colour: .darkGrey)
        try t.rectangle(0, t.height - 1, t.width - 1, t.height - 1, colour: .darkGrey)
    }
}

/// Two decimals for values near 1, more for small ones, so a prediction's peak of 0.003 reads.
func formatValue(_ v: Double) -> String {
    v == 0 ? "0" : String(format: "%.*f", abs(v) >= 0.1 ? 2 : (abs(v) >= 0.01 ? 3 : 4), v)
}

/// Reusable buffers for one grid's joint tiles (grey map, upsampled map, JET colours), so drawing
/// a grid allocates per tile only the tile itself.
struct TilePainter {
    let tileWidth: Int, tileHeight: Int
    private var grey: [UInt8] = []
    private var upsampled: [UInt8]
    private var jet: [UInt8]

    init(tileWidth: Int, tileHeight: Int) {
        self.tileWidth = tileWidth; self.tileHeight = tileHeight
        upsampled = [UInt8](repeating: 0, count: tileWidth * tileHeight)
        jet = [UInt8](repeating: 0, count: tileWidth * tileHeight * 3)
    }

    /// `0.7 * JET(resize(grey(map))) + 0.3 * crop`, truncated to bytes like the reference's
    /// uint8 assignment; with `range` (lo, hi) the map is first stretched, `(v - lo) / (hi - lo)`.
    mutating func blend(
        _ maps: JointHeatmaps, joint j: Int, range: (lo: Float, hi: Float)? = nil, over crop: Canvas
    ) throws -> Canvas {
        if grey.count != maps.width * maps.height { grey = [UInt8](repeating: 0, count: maps.width * maps.height) }
        if let r = range, r.hi > r.lo {
            maps.greyLevels(j, offset: r.lo, gain: 1 / (r.hi - r.lo), into: &grey)
        } else {
            maps.greyLevels(j, into: &grey)
        }
        try resizeU8(grey, width: maps.width, height: maps.height, channels: 1, into: &upsampled,
                     width: tileWidth, height: tileHeight, interpolation: Int32(HR_INTERP_LINEAR))
        try upsampled.withUnsafeBufferPointer { g in
            try jet.withUnsafeMutableBufferPointer { out in
                _ = try bridge("JET colour map") { err, cap in
                    hr_colormap_jet(g.baseAddress!, g.count, out.baseAddress!, err, cap)
                }
            }
        }
        var tile = crop
        jet.withUnsafeBufferPointer { heat in
            tile.pixels.withUnsafeMutableBufferPointer { px in
                for i in 0..<px.count {
                    px[i] = UInt8(0.7 * Float(heat[i]) + 0.3 * Float(px[i]))
                }
            }
        }
        return tile
    }
}

extension Canvas {
    /// Greys the picture out: luma (BT.601), compressed to the middle of the range so a greyed
    /// tile never looks like a real heatmap.
    mutating func desaturate() {
        pixels.withUnsafeMutableBufferPointer { px in
            for i in stride(from: 0, to: px.count, by: 3) {
                let luma = 0.299 * Float(px[i]) + 0.587 * Float(px[i + 1]) + 0.114 * Float(px[i + 2])
                let v = UInt8(70 + luma * 0.45)
                px[i] = v; px[i + 1] = v; px[i + 2] = v
            }
        }
    }
}
