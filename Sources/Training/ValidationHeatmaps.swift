import SafeTensors

/// The predicted heatmaps of the first validation batch, as `hrprep visualize-heatmaps --heatmaps`
/// reads them: `heatmaps` f32 `[B, J, h, w]` (flip-averaged under FLIP_TEST, the maps the
/// predictions came from), `heatmaps_record` i64 `[B]` (annotation indices) and
/// `heatmaps_sample` i64 `[B]` (global sample indices in the validation shards).
public enum ValidationHeatmaps {
    public static func tensors(_ r: ValidationResult, geometry g: SampleGeometry) -> [TensorPayload] {
        let b = r.firstRecords.count
        return [
            TensorPayload(name: "heatmaps", shape: [b, g.joints, g.heatmapSize[1], g.heatmapSize[0]], values: r.firstHeatmaps),
            TensorPayload(name: "heatmaps_record", shape: [b], values: r.firstRecords.map(Int64.init)),
            TensorPayload(name: "heatmaps_sample", shape: [b], values: r.firstSamples.map(Int64.init)),
        ]
    }

    public static func write(_ r: ValidationResult, geometry g: SampleGeometry, to path: String) throws {
        try SafeTensorsWriter.write(tensors(r, geometry: g), metadata: ["format": "hrnet-train-heatmaps/1"], to: path)
    }
}
