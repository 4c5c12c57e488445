import ArgumentParser
import Foundation
import Render

/// `hrprep visualize-heatmaps`: look at what is in the shards before training on them.
struct VisualizeHeatmapsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "visualize-heatmaps",
        abstract: "Draw crops, target (or predicted) heatmaps and skeletons of shard samples as PNG.",
        discussion: """
        Two pictures per call. The heatmap grid has one row per sample: the crop, then one tile \
        per joint with its heatmap in JET blended over the crop (0.7 heatmap + 0.3 crop, like the \
        reference's debug pictures), upsampled to --tile pixels, the arg-max marked with a white \
        dot, the joint's name and peak written on it; joints with target weight 0 are greyed out \
        with a red frame and "w=0". The skeleton picture shows the crops with the visible joints \
        and the MPII skeleton (the person's right in orange, left in blue), noting flipped samples; \
        with predictions, each predicted pose (the maps' arg-max) follows its target pose.

        --out FILE.png writes the grid to FILE.png and the skeletons to FILE-skeletons.png; \
        --out-dir DIR writes DIR/heatmaps-<sample>.png per sample and DIR/skeletons.png.

        With --heatmaps (the trainer's predictions: 'heatmaps' [N,J,h,w], 'heatmaps_sample'), the \
        grid shows targets and predictions in turn (--show to pick one); each predicted map is \
        stretched from its minimum to its peak so an early network's weak maps still show where they point \
        (the tile's "max" is the true peak); --first N then takes the first N prediction rows.

        Examples:
          hrprep visualize-heatmaps --shards shards/train --samples 0,17,42 --out heatmaps.png
          hrprep visualize-heatmaps --shards shards/train --first 8 --out-dir pictures/
          hrprep visualize-heatmaps --shards shards/valid --heatmaps predictions.safetensors --out pred.png
        """)

    @Option(help: "Shard folder (with manifest.json) written by build-shards.")
    var shards: String

    @Option(help: "Comma-separated global sample ids, e.g. 0,17,42.")
    var samples: String?

    @Option(help: "Draw the first N samples instead of --samples.")
    var first: Int?

    @Option(help: "Output PNG of the heatmap grid (the skeletons go to <name>-skeletons.png).")
    var out: String?

    @Option(name: .customLong("out-dir"), help: "Output folder: one grid per sample, and skeletons.png.")
    var outDir: String?

    @Option(help: "Predicted heatmaps (safetensors) to draw beside or instead of the targets.")
    var heatmaps: String?

    @Option(help: "What the joint tiles show: targets, predictions or both (default: both with --heatmaps).")
    var show: HeatmapSource?

    @Option(help: "Tile height in pixels (heatmaps are upsampled to it).")
    var tile: Int = 128

    func validate() throws {
        guard (samples == nil) != (first == nil) else {
            throw ValidationError("give exactly one of --samples and --first")
        }
        guard (out == nil) != (outDir == nil) else { throw ValidationError("give exactly one of --out and --out-dir") }
        guard tile >= 16 else { throw ValidationError("--tile must be at least 16 pixels") }
    }

    func run() throws {
        let pictures = try ShardPictures(directory: shards)
        let predictions = try heatmaps.map(HeatmapPredictions.init(path:))
        let ids = try pictures.resolve(try selection(), predictions: predictions)
        let source = show ?? (predictions == nil ? .targets : .both)
        var written: [String] = []
        if let out {
            try pictures.heatmapGrid(ids, predictions: predictions, show: source, tile: tile).write(to: out)
            let skeletons = SkeletonsFile.beside(out)
            try pictures.skeletons(ids, predictions: predictions, show: source).write(to: skeletons)
            written = [out, skeletons]
        } else if let outDir {
            try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
            for i in ids {
                let path = outDir + "/heatmaps-" + String(format: "%06d", i) + ".png"
                try pictures.heatmapGrid([i], predictions: predictions, show: source, tile: tile).write(to: path)
                written.append(path)
            }
            try pictures.skeletons(ids, predictions: predictions, show: source).write(to: outDir + "/skeletons.png")
            written.append(outDir + "/skeletons.png")
        }
        print("drew \(ids.count) samples of \(shards): " + written.joined(separator: ", "))
    }

    private func selection() throws -> SampleSelection {
        if let first { return .first(first) }
        do { return try SampleSelection.parse(samples ?? "") } catch { throw ValidationError("--samples: \(error)") }
    }
}

extension HeatmapSource: ExpressibleByArgument {}

/// Where the skeleton picture of `--out FILE.png` goes: `FILE-skeletons.png` (same folder).
enum SkeletonsFile {
    static func beside(_ path: String) -> String {
        let name = (path as NSString).lastPathComponent
        let ext = (name as NSString).pathExtension
        let stem = ext.isEmpty ? path : String(path.dropLast(ext.count + 1))
        return stem + "-skeletons." + (ext.isEmpty ? "png" : ext)
    }
}
