import ArgumentParser
import ExperimentConfig
import Foundation
import MessagePassing
import PoseEval
import Training

/// `hrnet-train evaluate`: predictions of given weights written to <out>/predictions.safetensors,
/// the PCKh table printed, and as the last line one JSON object with the table's values (or loss
/// and accuracy without ground truth).
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Evaluate weights on validation shards: predictions file and PCKh or COCO AP table.",
        discussion: """
        Runs --weights (a state dict with PyTorch's parameter names, e.g. a run's \
        model_best.safetensors) over --valid-shards as the reference's validate() does (TEST.FLIP_TEST, \
        POST_PROCESS, SHIFT_HEATMAP) and writes <out>/predictions.safetensors: per sample its \
        record, joint positions in source-image pixels and scores, plus the first batch's heatmaps. \
        With ground truth (named by the shard manifest, or --ground-truth) it prints the PCKh table \
        (Head … Ankle, Mean, Mean@0.1) and, as the last line, the same values as one JSON object. \
        On COCO-format shards it writes <out>/keypoints_<set>_results.json (COCO's results format, \
        after rescoring and OKS NMS: TEST.IN_VIS_THRE, OKS_THRE, SOFT_NMS) and prints COCO's 10-number \
        keypoint table, saying whether the people were found on ground-truth or detector boxes \
        (PCK at 0.2 of the box size when the dataset has no OKS sigmas). Under `mpirun -np N` the \
        ranks share the batches and rank 0 writes and prints what one process would.

        Example:
          hrnet-train evaluate --config experiments/mpii/w32_256x256_adam_lr1e-3.yaml \\
              --valid-shards shards/valid --weights runs/w32/model_best.safetensors --out runs/eval
        """)

    @OptionGroup var experiment: ExperimentArguments

    @Option(help: "Weights to evaluate (PyTorch state_dict names), e.g. runs/w32/model_best.safetensors.")
    var weights: String

    @Option(help: "Output folder for predictions.safetensors.")
    var out: String

    @OptionGroup var validation: ValidationArguments

    func run() throws {
        guard let validShards = validation.validShards else {
            throw ValidationError("--valid-shards is required: the shards to evaluate on")
        }
        var o = ConfigOverrides()
        validation.apply(to: &o)
        let cfg = o.applied(to: try ExperimentConfig.load(path: experiment.config))
        experiment.applyThreads()
        var evaluation = Evaluation(config: cfg, configName: experiment.config, weights: weights,
                                    validShards: validShards, groundTruth: validation.groundTruth, outDirectory: out)
        evaluation.shardChecksums = validation.shardChecksums
        evaluation.cluster = Cluster.shared
        guard
            let r = try DataParallelArguments.run(
                evaluation.cluster, { try evaluation.run(makeNetwork: ExperimentArguments.hrnet) })
        else { return }
        print("""
            => \(r.records.count) samples, loss \(String(format: "%.5f", r.loss)), accuracy \
            \(String(format: "%.3f", r.accuracy))
            """)
        print("=> predictions: \(evaluation.predictionsPath)")
        if let c = r.coco {
            print("=> COCO results: \(c.resultsPath) (\(c.results) people)")
            print(c.table)
            if let e = c.eval {
                print(
                    "{" + zip(COCOKeypointEval.statNames, e.stats).map { "\"\($0)\": \($1)" }.joined(separator: ", ")
                        + "}")
            } else {
                print("{\"pck\": \(c.pck?.mean ?? 0)}")
            }
        } else if let p = r.pckh {
            print(p.table.markdown(arch: cfg.model.name))
            print(p.table.json)
        } else {
            print("(no PCKh: the shards name no ground truth and --ground-truth was not given)")
            print("{\"loss\": \(r.loss), \"accuracy\": \(r.accuracy), \"samples\": \(r.records.count)}")
        }
    }
}
