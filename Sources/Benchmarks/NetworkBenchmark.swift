import ExperimentConfig
import Foundation
import HRNet
import InstructionSets

/// Speed of the network on random data: forward-only (eval mode, forward-only buffers) or full training steps
/// (forward, loss, backward, optimiser), timed after warm-up steps. GFLOP/s counts
/// 2 × multiply-adds per image, and a training step as 3 × the forward (forward, input
/// gradients, weight gradients).
public enum NetworkBenchmark {
    public struct Result: Sendable {
        public let mode: String
        /// Network width tag from the config (`w32`: STAGE2 NUM_CHANNELS[0]) and input size.
        public let network: String
        public let batch: Int, threads: Int, steps: Int
        public let secondsPerStep: Double
        public let imagesPerSecond: Double
        public let gflopsPerSecond: Double
        public let peakRSSMegabytes: Double
        public let arenaMegabytes: Double
        /// `CoreRoundTrip` before and after the timed steps (nil: one thread).
        public let coreRoundTripNanoseconds: [Double?]

        /// One JSON object (the benchmark's last output line).
        public var json: String {
            String(format: """
                {\"mode\": \"%@\", \"network\": \"%@\", \"batch\": %d, \"threads\": %d, \"steps\": %d, \
                \"seconds_per_step\": %.4f, \"images_per_s\": %.3f, \"gflops_per_s\": %.2f, \"peak_rss_mb\": %.1f, \
                \"arena_mb\": %.1f, \"isa\": \"%@\", \"core_round_trip_ns\": [%@]}
                """,
                mode, network, batch, threads, steps, secondsPerStep, imagesPerSecond, gflopsPerSecond,
                peakRSSMegabytes, arenaMegabytes, ISA.active.rawValue,
                coreRoundTripNanoseconds.map { $0.map { String(format: "%.0f", $0) } ?? "null" }
                    .joined(separator: ", "))
        }
    }

    /// `profile`: after the warm-up, the timed steps also fill it layer class by layer class.
    public static func run(config: ExperimentConfig, batch: Int, steps: Int, warmup: Int = 2, forwardOnly: Bool,
                           profile: LayerProfile? = nil, progress: ((Int, Double) -> Void)? = nil) throws -> Result {
        let model = try HRNetModel(config: config, batchSize: batch, seed: 1, trainable: !forwardOnly)
        let macs = try ModelSummary(model: config.model).multiplyAdds
        var rng = SeededRandom(seed: 2)
        let input = (0..<(batch * model.inputShape.reduce(1, *))).map { _ in Float(rng.normal()) }
        let target = (0..<(batch * model.outputShape.reduce(1, *))).map { _ in Float(rng.unit()) }
        let weight = [Float](repeating: 1, count: batch * model.outputShape[0])
        func once() {
            if forwardOnly {
                model.forward(input: input, training: false)
            } else {
                model.trainStep(input: input, target: target, weight: weight)
            }
        }
        for _ in 0..<warmup { once() }
        let roundTripBefore = CoreRoundTrip.measure()
        model.profile = profile
        profile?.steps = steps
        var times: [Double] = []
        for s in 0..<steps {
            let start = DispatchTime.now().uptimeNanoseconds
            once()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            progress?(s, times.last!)
        }
        let roundTrips = [roundTripBefore, CoreRoundTrip.measure()]
        let seconds = times.sorted()[times.count / 2]
        let flopsPerImage = 2.0 * Double(macs) * (forwardOnly ? 1 : 3)
        let extra = config.model.extra, size = config.model.imageSize
        let network = """
            w\(extra.stage2.numChannels[0])-\(extra.stages.map { "\($0.numModules)" }.joined())-\(size[0])x\(size[1])
            """
        return Result(
            mode: forwardOnly ? "forward" : "train", network: network, batch: batch,
            threads: ThreadPool.shared.parallelism, steps: steps,
            secondsPerStep: seconds, imagesPerSecond: Double(batch) / seconds,
            gflopsPerSecond: flopsPerImage * Double(batch) / seconds / 1e9,
            peakRSSMegabytes: peakResidentMegabytes(), arenaMegabytes: Double(model.arenaBytes) / 1_048_576,
            coreRoundTripNanoseconds: roundTrips)
    }

    /// The process's peak resident set (`VmHWM` of /proc/self/status), in MB; 0 where unavailable.
    public static func peakResidentMegabytes() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kb / 1024
    }
}
