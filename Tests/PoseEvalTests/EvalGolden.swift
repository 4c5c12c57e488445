import GoldenFiles
import PoseEval
import SafeTensors

/// The reference's inference/evaluation outputs (`eval.safetensors`, see Golden/README.md).
enum EvalGolden {
    static let file: SafeTensorsFile = try! Golden.open("eval.safetensors")
    static let layout = HeatmapLayout(batch: 8, joints: 16, height: 64, width: 64)
    static let heatmaps: [Float] = try! file.array("heatmaps")

    /// Items `range` of the golden heatmaps, with their layout.
    static func items(_ range: Range<Int>) -> ([Float], HeatmapLayout) {
        (Array(heatmaps[(range.lowerBound * layout.itemSize)..<(range.upperBound * layout.itemSize)]),
         layout.with(batch: range.count))
    }

    /// CRC-32 of each item of a batch, as the golden `*_crc32` tensors.
    static func itemCRCs(_ maps: [Float], layout: HeatmapLayout) -> [Int64] {
        (0..<layout.batch).map { CRC32.checksum(Array(maps[($0 * layout.itemSize)..<(($0 + 1) * layout.itemSize)])) }
    }
}
