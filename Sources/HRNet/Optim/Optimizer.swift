import Foundation
import ExperimentConfig
import InstructionSets

/// An optimiser over the flat parameter and gradient allocations. Its state (moments, momentum
/// buffers) is one flat allocation of `stateNames.count × count` floats, exported by name for
/// checkpoints.
public protocol Optimizer: AnyObject {
    /// Updates `parameters` in place from `gradients` with learning rate `lr`.
    func step(parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>, count: Int, lr: Double)
    /// Completed steps (Adam's bias correction depends on it).
    var steps: Int { get set }
    /// Per-parameter state names in PyTorch's `optimizer.state` terms (`exp_avg`, `exp_avg_sq`, `momentum_buffer`).
    var stateNames: [String] { get }
    /// State `k` (in `stateNames` order) as a flat array parallel to the parameters.
    func state(_ k: Int) -> UnsafeMutablePointer<Float>
}

/// Creates the optimiser the config names (`TRAIN.OPTIMIZER`), as the reference's `get_optimizer`:
/// `adam` → Adam(lr) with default betas/eps and no weight decay; `sgd` → SGD(lr, MOMENTUM, WD, NESTEROV).
public func makeOptimizer(_ train: TrainConfig, parameterCount: Int) throws -> Optimizer {
    switch train.optimizer.lowercased() {
    case "adam": return Adam(count: parameterCount)
    case "sgd":
        return SGD(count: parameterCount, momentum: train.momentum, weightDecay: train.wd, nesterov: train.nesterov)
    default: throw HRNetError("TRAIN.OPTIMIZER '\(train.optimizer)' is not supported (adam or sgd)")
    }
}

/// `torch.optim.Adam` (single-tensor path, amsgrad off), step t ≥ 1:
///
///     g ← g + wd·p;  m ← m + (1 − β₁)·(g − m)  (torch's lerp);  v ← β₂·v + (1 − β₂)·g²
///     p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + eps)
///
/// eps is added outside the square root, after the bias correction of v, exactly as PyTorch.
public final class Adam: Optimizer {
    public let beta1: Double, beta2: Double, eps: Double, weightDecay: Double
    public var steps = 0
    private let moments: ZeroedFloats
    private let count: Int

    public init(count: Int, beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8, weightDecay: Double = 0) {
        self.count = count; self.beta1 = beta1; self.beta2 = beta2; self.eps = eps; self.weightDecay = weightDecay
        moments = ZeroedFloats(count: 2 * count)
    }

    public var stateNames: [String] { ["exp_avg", "exp_avg_sq"] }
    public func state(_ k: Int) -> UnsafeMutablePointer<Float> { moments.pointer + k * count }

    public func step(parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>, count: Int, lr: Double) {
        steps += 1
        let t = Double(steps)
        let stepSize = Float(lr / (1 - pow(beta1, t)))
        let correction2 = Float(pow(1 - pow(beta2, t), 0.5))
        let w1 = Float(1 - beta1), b2 = Float(beta2), w2 = Float(1 - beta2), e = Float(eps), wd = Float(weightDecay)
        let m = state(0), v = state(1)
        let kernels = ISA.active.vectorKernels
        ThreadPool.shared.parallelRanges(count, work: 5) { r in
            let i = r.lowerBound
            kernels.adamUpdate(parameters: parameters + i, gradients: gradients + i, m: m + i, v: v + i, count: r.count,
                               stepSize: stepSize, correction2: correction2, beta2: b2, oneMinusBeta1: w1,
                               oneMinusBeta2: w2, eps: e, weightDecay: wd)
        }
    }
}

/// `torch.optim.SGD` (dampening 0): `g ← g + wd·p`; with momentum μ, `b ← μ·b + g` (b = g on the
/// first step, the same as from b = 0) and `g ← g + μ·b` (nesterov) or `g ← b`; `p ← p − lr·g`.
public final class SGD: Optimizer {
    public let momentum: Double, weightDecay: Double, nesterov: Bool
    public var steps = 0
    private let buffer: ZeroedFloats
    private let count: Int

    public init(count: Int, momentum: Double, weightDecay: Double, nesterov: Bool) {
        self.count = count; self.momentum = momentum; self.weightDecay = weightDecay; self.nesterov = nesterov
        buffer = ZeroedFloats(count: count)
    }

    public var stateNames: [String] { momentum != 0 ? ["momentum_buffer"] : [] }
    public func state(_ k: Int) -> UnsafeMutablePointer<Float> { buffer.pointer }

    public func step(parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>, count: Int, lr: Double) {
        steps += 1
        let mu = Float(momentum), wd = Float(weightDecay), rate = Float(lr), nesterov = self.nesterov
        let b = buffer.pointer
        let kernels = ISA.active.vectorKernels
        ThreadPool.shared.parallelRanges(count, work: 4) { r in
            let i = r.lowerBound
            kernels.sgdUpdate(parameters: parameters + i, gradients: gradients + i, buffer: b + i, count: r.count,
                              rate: rate, momentum: mu, weightDecay: wd, nesterov: nesterov)
        }
    }
}

/// `torch.optim.lr_scheduler.MultiStepLR` stepped once per epoch, as the reference:
/// `lr(epoch) = base · γ^(number of milestones ≤ epoch)`.
public struct MultiStepLR: Equatable, Sendable {
    public let base: Double, milestones: [Int], gamma: Double
    public init(base: Double, milestones: [Int], gamma: Double) {
        self.base = base; self.milestones = milestones; self.gamma = gamma
    }
    /// From `TRAIN.LR`, `TRAIN.LR_STEP`, `TRAIN.LR_FACTOR`.
    public init(_ train: TrainConfig) { self.init(base: train.lr, milestones: train.lrStep, gamma: train.lrFactor) }

    public func learningRate(epoch: Int) -> Double {
        var lr = base
        for m in milestones where m <= epoch { lr *= gamma }
        return lr
    }
}
