import Foundation
import Training

extension TrainingArguments {
    /// `hrnet-train --evaluate --config … --weights … --valid-shards … --out DIR`: predictions of
    /// the weights written to DIR/predictions.safetensors, the PCKh table printed, and as the last
    /// line one JSON object with the table's values (or loss and accuracy without ground truth).
    func runEvaluation(config path: String) throws {
        let cfg = try loadConfig(path)
        applyThreads()
        var evaluation = Evaluation(config: cfg, configName: path, weights: try required(weights, "--weights"),
                                    validShards: try required(validShards, "--valid-shards"), groundTruth: groundTruth,
                                    outDirectory: try required(out, "--out"))
        evaluation.shardChecksums = shardChecksums
        let r = try evaluation.run(makeNetwork: Self.hrnet)
        print("=> \(r.records.count) samples, loss \(String(format: "%.5f", r.loss)), accuracy \(String(format: "%.3f", r.accuracy))")
        print("=> predictions: \(evaluation.predictionsPath)")
        if let p = r.pckh {
            print(p.table.markdown(arch: cfg.model.name))
            print(p.table.json)
        } else {
            print("(no PCKh: the shards name no ground truth and --ground-truth was not given)")
            print("{\"loss\": \(r.loss), \"accuracy\": \(r.accuracy), \"samples\": \(r.records.count)}")
        }
    }
}
