import ArgumentParser
import ExperimentConfig
import Foundation
import PoseData
import ShardBuild
import Shards

/// `hrprep build-shards`: the reference MPII pipeline, run once, written as safetensors shards.
struct BuildShardsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build-shards",
        abstract: "Make training or validation samples from MPII annotations and images, as safetensors shards.",
        discussion: """
        Every sample is what the reference loader (JointsDataset.__getitem__) produces for the same \
        augmentation: half body, scale, rotation and flip drawn from the sample's own generator, keyed \
        by (--seed, augmentation epoch, record), so the shards are the same bytes for any --threads. \
        Each image is decoded once for all its records and epochs, and only the \
        window its crops read (bit-identical to a full decode there; --no-window-decode decodes whole).

        The train set is augmented; valid and test are not. Reads <root>/annot/<set>.json and the \
        images from <root>/images/ (jpg) or <root>/images.zip (zip).

        Output: <out>/shard-00000.safetensors, … and <out>/manifest.json, written last. An \
        interrupted build resumes when rerun with the same flags (complete shards that still verify \
        are kept); a finished build with other settings is only replaced with --overwrite.

        A build can be split across machines: --part i/N makes only the shards whose index is i \
        mod N (the same boundaries and bytes for any N), into a shared folder or each machine's \
        own, with a journal build-part-i-of-N.json instead of the manifest; `hrprep merge-shards` \
        then checks and joins them. Under mpirun or srun the part comes from OMPI_COMM_WORLD_RANK/\
        OMPI_COMM_WORLD_SIZE or SLURM_PROCID/SLURM_NTASKS when --part is not given.

        Example:
          hrprep build-shards --config experiments/mpii/w32_256x256_adam_lr1e-3.yaml \\
              --root data/mpii --set train --out shards/train --aug-epochs 5 --seed 1 --threads 2
          python3 -c "from safetensors.numpy import load_file; print(load_file('shards/train/shard-00000.safetensors').keys())"
        """)

    @Option(help: "Experiment YAML in the reference's format (DATASET.*, MODEL.*, LOSS.*).")
    var config: String

    @Option(help: "Dataset root (default: DATASET.ROOT of the config).")
    var root: String?

    @Option(help: "Image set: train (augmented), valid or test.")
    var set: String = "train"

    @Option(help: "Output folder for the shards and manifest.json.")
    var out: String

    @Option(help: "Augmented copies of every training record (K); each epoch draws fresh augmentation.")
    var augEpochs: Int = 1

    @Option(help: "Seed of the per-sample generators.")
    var seed: UInt64 = 1

    @Option(help: "Worker threads that decode and crop (default: one per core; the output does not depend on it). Writing and hashing run on threads of their own beside them.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Image storage, overriding DATASET.DATA_FORMAT: jpg (images/NAME) or zip (images.zip@/NAME).")
    var dataFormat: String?

    @Option(help: "Samples per shard file (default: as many as fit in about 1 GB).")
    var samplesPerShard: Int?

    @Option(help: "Heatmap dtype: f32, or f16 to halve the largest tensor.")
    var targetDtype: String = "f32"

    @Option(help: "Half-body side choice: reference (a normal draw < 0.5, upper ≈ 69%) or uniform (50%).")
    var halfBodyChoice: String = "reference"

    @Option(help: "A missing or undecodable image: fail (stop, naming it) or skip (list the record in the manifest).")
    var onBadImage: String = "fail"

    @Option(help: "Build only part i of N (0-based): the shards whose index is i mod N. Default: from mpirun/srun's task number and count, else the whole build.")
    var part: String?

    @Flag(help: "Replace a finished or unfinished build of another configuration in --out.")
    var overwrite = false

    @Flag(help: "Decode every image whole instead of only the window its crops read (the shards are the same bytes; for checking that, or for JPEG decoders other than libjpeg-turbo's).")
    var noWindowDecode = false

    func run() throws {
        let experiment = try ExperimentConfig.load(path: config)
        var options = BuildOptions(config: experiment, root: root ?? experiment.dataset.root, set: set, out: out)
        options.augEpochs = augEpochs
        options.seed = seed
        options.threads = threads
        if let f = dataFormat {
            guard let format = ImageFormat(rawValue: f) else { throw ValidationError("--data-format must be jpg or zip, got '\(f)'") }
            options.dataFormat = format
        }
        options.samplesPerShard = samplesPerShard
        switch targetDtype {
        case "f32": options.targetDType = .f32
        case "f16": options.targetDType = .f16
        default: throw ValidationError("--target-dtype must be f32 or f16, got '\(targetDtype)'")
        }
        guard let choice = HalfBodyChoice(rawValue: halfBodyChoice) else {
            throw ValidationError("--half-body-choice must be reference or uniform, got '\(halfBodyChoice)'")
        }
        options.halfBodyChoice = choice
        guard let policy = BadImagePolicy(rawValue: onBadImage) else {
            throw ValidationError("--on-bad-image must be fail or skip, got '\(onBadImage)'")
        }
        options.onBadImage = policy
        options.overwrite = overwrite
        options.part = try part.map(BuildPart.init(parsing:)) ?? BuildPart.fromLauncher(ProcessInfo.processInfo.environment)
        options.windowDecode = !noWindowDecode
        let summary = try ShardBuilder.run(options)
        if let part = options.part {
            print("\(out): part \(part): \(summary.description); join the parts with hrprep merge-shards")
        } else {
            print("\(out): \(summary.description)")
        }
    }
}
