/// An experiment configuration in the reference's YAML format (`experiments/mpii/hrnet/*.yaml` of
/// deep-high-resolution-net.pytorch). Every field starts at the reference default
/// (`lib/config/default.py`) and the YAML overrides it; as in the reference (yacs), a key the
/// reference does not know is an error, so a typo never silently falls back to a default.
///
/// Field names are the reference's keys in Swift case; `Codable` keeps the reference's
/// upper-case names, so the JSON copy that hrprep stores in manifests and checkpoints reads like
/// the YAML it came from.
public struct ExperimentConfig: Codable, Equatable, Sendable {
    public var outputDir = ""
    public var logDir = ""
    public var dataDir = ""
    public var workers = 4
    public var printFreq = 20
    public var autoResume = false
    public var dataset = DatasetConfig()
    public var model = ModelConfig()
    public var loss = LossConfig()
    public var train = TrainConfig()
    public var test = TestConfig()

    public init() {}

    enum CodingKeys: String, CodingKey {
        case outputDir = "OUTPUT_DIR", logDir = "LOG_DIR", dataDir = "DATA_DIR", workers = "WORKERS"
        case printFreq = "PRINT_FREQ", autoResume = "AUTO_RESUME"
        case dataset = "DATASET", model = "MODEL", loss = "LOSS", train = "TRAIN", test = "TEST"
    }
}

/// `DATASET.*`: where the data is and how training samples are augmented
/// (docs/reference-behaviour.md#mpii-records, #augmentation).
public struct DatasetConfig: Codable, Equatable, Sendable {
    public var root = ""
    public var dataset = "mpii"
    public var trainSet = "train"
    public var testSet = "valid"
    /// `jpg` (images/NAME) or `zip` (images.zip@/NAME).
    public var dataFormat = "jpg"
    public var hybridJointsType = ""
    public var selectData = false
    public var flip = true
    public var scaleFactor = 0.25
    public var rotFactor = 30.0
    public var probHalfBody = 0.0
    public var numJointsHalfBody = 8
    public var colorRGB = false
    /// hrprep's own key: a dataset description YAML (joint names, flip pairs, upper/lower body,
    /// skeleton, OKS sigmas, joint weights) completing what a COCO-format file says; relative paths
    /// are under ROOT. Empty: the annotation file's (or MPII's built-in) description alone.
    public var description = ""
    public init() {}

    enum CodingKeys: String, CodingKey {
        case root = "ROOT", dataset = "DATASET", trainSet = "TRAIN_SET", testSet = "TEST_SET"
        case dataFormat = "DATA_FORMAT", hybridJointsType = "HYBRID_JOINTS_TYPE", selectData = "SELECT_DATA"
        case flip = "FLIP", scaleFactor = "SCALE_FACTOR", rotFactor = "ROT_FACTOR"
        case probHalfBody = "PROB_HALF_BODY", numJointsHalfBody = "NUM_JOINTS_HALF_BODY", colorRGB = "COLOR_RGB"
        case description = "DESCRIPTION"
    }
}

/// `MODEL.*`: sizes are (width, height), as in the reference.
public struct ModelConfig: Codable, Equatable, Sendable {
    public var name = "pose_hrnet"
    public var initWeights = true
    public var pretrained = ""
    public var numJoints = 17
    public var tagPerJoint = true
    public var targetType = "gaussian"
    public var imageSize = [256, 256]
    public var heatmapSize = [64, 64]
    public var sigma = 2.0
    public var extra = HRNetExtra()
    public init() {}

    enum CodingKeys: String, CodingKey {
        case name = "NAME", initWeights = "INIT_WEIGHTS", pretrained = "PRETRAINED", numJoints = "NUM_JOINTS"
        case tagPerJoint = "TAG_PER_JOINT", targetType = "TARGET_TYPE", imageSize = "IMAGE_SIZE"
        case heatmapSize = "HEATMAP_SIZE", sigma = "SIGMA", extra = "EXTRA"
    }
}

/// The residual block of a stage's branches.
public enum BlockType: String, Codable, Equatable, Sendable {
    case basic = "BASIC", bottleneck = "BOTTLENECK"
    /// Output channels per `planes` (BasicBlock 1, Bottleneck 4), as `block.expansion` in the reference.
    public var expansion: Int { self == .basic ? 1 : 4 }
}

/// `MODEL.EXTRA.STAGEk`: one HRNet stage (docs/reference-behaviour.md#network).
public struct StageConfig: Codable, Equatable, Sendable {
    public var numModules: Int
    public var numBranches: Int
    public var block: BlockType
    public var numBlocks: [Int]
    public var numChannels: [Int]
    public var fuseMethod = "SUM"

    public init(numModules: Int, numBranches: Int, block: BlockType, numBlocks: [Int], numChannels: [Int], fuseMethod: String = "SUM") {
        self.numModules = numModules; self.numBranches = numBranches; self.block = block
        self.numBlocks = numBlocks; self.numChannels = numChannels; self.fuseMethod = fuseMethod
    }

    enum CodingKeys: String, CodingKey {
        case numModules = "NUM_MODULES", numBranches = "NUM_BRANCHES", block = "BLOCK"
        case numBlocks = "NUM_BLOCKS", numChannels = "NUM_CHANNELS", fuseMethod = "FUSE_METHOD"
    }
}

/// `MODEL.EXTRA` of pose_hrnet. Defaults are the W32 MPII values, since the reference has none
/// (its EXTRA node is open) and a YAML that names pose_hrnet always gives all of them.
public struct HRNetExtra: Codable, Equatable, Sendable {
    public var pretrainedLayers = ["*"]
    public var finalConvKernel = 1
    public var stage2 = StageConfig(numModules: 1, numBranches: 2, block: .basic, numBlocks: [4, 4], numChannels: [32, 64])
    public var stage3 = StageConfig(numModules: 4, numBranches: 3, block: .basic, numBlocks: [4, 4, 4], numChannels: [32, 64, 128])
    public var stage4 = StageConfig(numModules: 3, numBranches: 4, block: .basic, numBlocks: [4, 4, 4, 4], numChannels: [32, 64, 128, 256])
    public init() {}

    /// Stages 2, 3, 4 in order.
    public var stages: [StageConfig] { [stage2, stage3, stage4] }

    enum CodingKeys: String, CodingKey {
        case pretrainedLayers = "PRETRAINED_LAYERS", finalConvKernel = "FINAL_CONV_KERNEL"
        case stage2 = "STAGE2", stage3 = "STAGE3", stage4 = "STAGE4"
    }
}

/// `LOSS.*`.
public struct LossConfig: Codable, Equatable, Sendable {
    public var useOHKM = false
    public var topK = 8
    public var useTargetWeight = true
    public var useDifferentJointsWeight = false
    public init() {}

    enum CodingKeys: String, CodingKey {
        case useOHKM = "USE_OHKM", topK = "TOPK", useTargetWeight = "USE_TARGET_WEIGHT"
        case useDifferentJointsWeight = "USE_DIFFERENT_JOINTS_WEIGHT"
    }
}

/// `TRAIN.*`: optimiser and schedule (docs/reference-behaviour.md#loss-and-optimiser).
public struct TrainConfig: Codable, Equatable, Sendable {
    public var lrFactor = 0.1
    public var lrStep = [90, 110]
    public var lr = 0.001
    /// `adam` or `sgd`.
    public var optimizer = "adam"
    public var momentum = 0.9
    public var wd = 0.0001
    public var nesterov = false
    public var gamma1 = 0.99
    public var gamma2 = 0.0
    public var beginEpoch = 0
    public var endEpoch = 140
    public var resume = false
    public var checkpoint = ""
    public var batchSizePerGPU = 32
    public var shuffle = true
    public init() {}

    enum CodingKeys: String, CodingKey {
        case lrFactor = "LR_FACTOR", lrStep = "LR_STEP", lr = "LR", optimizer = "OPTIMIZER"
        case momentum = "MOMENTUM", wd = "WD", nesterov = "NESTEROV", gamma1 = "GAMMA1", gamma2 = "GAMMA2"
        case beginEpoch = "BEGIN_EPOCH", endEpoch = "END_EPOCH", resume = "RESUME", checkpoint = "CHECKPOINT"
        case batchSizePerGPU = "BATCH_SIZE_PER_GPU", shuffle = "SHUFFLE"
    }
}

/// `TEST.*`: validation-time options (docs/reference-behaviour.md#inference).
public struct TestConfig: Codable, Equatable, Sendable {
    public var batchSizePerGPU = 32
    public var flipTest = false
    public var postProcess = false
    public var shiftHeatmap = false
    public var useGTBBox = false
    public var modelFile = ""
    /// COCO: the person detector's boxes used when USE_GT_BBOX is false, and the score below which
    /// a detection is skipped.
    public var cocoBBoxFile = ""
    public var imageThre = 0.1
    /// COCO evaluation: maxvals above IN_VIS_THRE count towards a person's keypoint score; OKS
    /// NMS drops people whose OKS with a better one is above OKS_THRE (SOFT_NMS: decays instead).
    public var inVisThre = 0.0
    public var oksThre = 0.5
    public var softNMS = false
    public init() {}

    enum CodingKeys: String, CodingKey {
        case batchSizePerGPU = "BATCH_SIZE_PER_GPU", flipTest = "FLIP_TEST", postProcess = "POST_PROCESS"
        case shiftHeatmap = "SHIFT_HEATMAP", useGTBBox = "USE_GT_BBOX", modelFile = "MODEL_FILE"
        case cocoBBoxFile = "COCO_BBOX_FILE", imageThre = "IMAGE_THRE", inVisThre = "IN_VIS_THRE", oksThre = "OKS_THRE"
        case softNMS = "SOFT_NMS"
    }
}
