import SafeTensors

/// The `hrprep-shards/2` format: which tensors a pose shard holds (`ShardTensor`) and what the
/// metadata keys are. Version 2 adds the COCO identities (`image_id`, `annotation_id`) to COCO
/// builds and the dataset description to the manifest; version 1 sets (MPII, no such tensors) are
/// still read.
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

    /// `__metadata__` keys of every shard (values are strings; JSON where structured).
    public enum Metadata {
        /// The format name (`ShardFormat.name`).
        public static let format = "format"
        /// JSON array: the image path (relative to the dataset root) of every sample of the shard.
        public static let imagePaths = "image_paths"
        /// Global index of the shard's first sample in the set.
        public static let firstSample = "first_sample"
        /// JSON: the experiment configuration, joint names, flip pairs, mean and std, seed.
        public static let config = "config", jointNames = "joint_names", flipPairs = "flip_pairs"
        public static let mean = "mean", std = "std", seed = "seed"
        /// `train`, `valid` or `test`; the augmentation epochs; `f32` or `f16`.
        public static let set = "set", augEpochs = "aug_epochs", targetDType = "target_dtype"
    }

    /// The layout of a pose shard set: every `ShardTensor` at `geometry`.
    public static func layout(_ geometry: ShardGeometry) -> ShardLayout {
        ShardLayout(ShardTensor.all.filter { $0.present(geometry) }.map { $0.spec(geometry) })
    }

    /// The layout of a pose shard set. `imageSize` and `heatmapSize` are (width, height).
    /// `ids`: with the COCO identities of each sample.
    public static func layout(imageSize: [Int], heatmapSize: [Int], joints: Int, targetDType: DType, ids: Bool = false) -> ShardLayout {
        layout(ShardGeometry(imageSize: imageSize, heatmapSize: heatmapSize, joints: joints, targetDType: targetDType, ids: ids))
    }
}
