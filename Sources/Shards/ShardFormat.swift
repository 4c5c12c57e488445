import SafeTensors

/// The `hrprep-shards/2` format: which tensors a pose shard holds and what the metadata keys are.
/// Version 2 adds the COCO identities (`image_id`, `annotation_id`) to COCO builds and the dataset
/// description to the manifest; version 1 sets (MPII, no such tensors) are still read.
/// This is the whole contract between build-shards, the trainer, the renderer and Python users
/// (the README documents it); the module knows tensor names, never what a joint means.
public enum ShardFormat {
    public static let name = "hrprep-shards/2"
    /// Every version a reader accepts.
    public static let readable: Set<String> = ["hrprep-shards/1", name]
    public static let manifestFile = "manifest.json"

    /// File name of shard `index` (zero-padded so a listing sorts in sample order).
    public static func shardFile(_ index: Int) -> String {
        let digits = String(index)
        return "shard-" + String(repeating: "0", count: max(0, 5 - digits.count)) + digits + ".safetensors"
    }

    /// Tensor names. Per sample: `input` uint8 [H,W,3] RGB crop before normalisation; `target`
    /// [J,h,w] f32 or f16 heatmaps; `target_weight` f32 [J,1]; `joints`, `joints_vis` f32 [J,3]
    /// (crop pixels); `center`, `scale` f64 [2] and `rotation` f64 [] as the crop was made (after
    /// half body, scaling and flip); `flipped`, `half_body` uint8 []; `score` f32 []; `record`
    /// int64 [] (0-based annotation index); `aug_epoch` int32 []. COCO builds also: `image_id` int64 []
    /// and `annotation_id` int64 [] (−1 for a detector's box).
    public enum Tensor {
        public static let input = "input", target = "target", targetWeight = "target_weight"
        public static let joints = "joints", jointsVis = "joints_vis"
        public static let center = "center", scale = "scale", rotation = "rotation"
        public static let flipped = "flipped", halfBody = "half_body", score = "score"
        public static let record = "record", augEpoch = "aug_epoch"
        public static let imageID = "image_id", annotationID = "annotation_id"
    }

    /// `__metadata__` keys of every shard (values are strings; JSON where structured).
    public enum Metadata {
        /// The format name, `hrprep-shards/1`.
        public static let format = "format"
        /// JSON array: the image path (relative to the dataset root) of every sample of the shard.
        public static let imagePaths = "image_paths"
        /// Global index of the shard's first sample in the set.
        public static let firstSample = "first_sample"
        /// JSON: the experiment configuration, joint names, flip pairs, mean and std, seed.
        public static let config = "config", jointNames = "joint_names", flipPairs = "flip_pairs"
        public static let mean = "mean", std = "std", seed = "seed"
    }

    /// The layout of a pose shard set. `imageSize` and `heatmapSize` are (width, height).
    /// `ids`: with the COCO identities of each sample.
    public static func layout(imageSize: [Int], heatmapSize: [Int], joints: Int, targetDType: DType, ids: Bool = false) -> ShardLayout {
        precondition(imageSize.count == 2 && heatmapSize.count == 2)
        precondition(targetDType == .f32 || targetDType == .f16, "targets are f32 or f16")
        return ShardLayout([
            TensorSpec(Tensor.input, .u8, [imageSize[1], imageSize[0], 3]),
            TensorSpec(Tensor.target, targetDType, [joints, heatmapSize[1], heatmapSize[0]]),
            TensorSpec(Tensor.targetWeight, .f32, [joints, 1]),
            TensorSpec(Tensor.joints, .f32, [joints, 3]),
            TensorSpec(Tensor.jointsVis, .f32, [joints, 3]),
            TensorSpec(Tensor.center, .f64, [2]),
            TensorSpec(Tensor.scale, .f64, [2]),
            TensorSpec(Tensor.rotation, .f64, []),
            TensorSpec(Tensor.flipped, .u8, []),
            TensorSpec(Tensor.halfBody, .u8, []),
            TensorSpec(Tensor.score, .f32, []),
            TensorSpec(Tensor.record, .i64, []),
            TensorSpec(Tensor.augEpoch, .i32, []),
        ] + (ids ? [TensorSpec(Tensor.imageID, .i64, []), TensorSpec(Tensor.annotationID, .i64, [])] : []))
    }
}
