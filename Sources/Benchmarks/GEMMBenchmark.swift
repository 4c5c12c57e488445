#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CBLAS
import HRNet
import InstructionSets

/// One GEMM problem to time: C[m×n] = op(A)[m×k] · op(B)[k×n].
public struct GEMMShape: Sendable {
    public let name: String
    public let transA: Bool, transB: Bool
    public let m: Int, n: Int, k: Int
    public init(_ name: String, transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int) {
        self.name = name; self.transA = transA; self.transB = transB
        self.m = m; self.n = n; self.k = k
    }
    /// 2 · m · n · k (a multiply-add is two operations).
    public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
}

/// Timed GEMM speed: our `sgemm` and, optionally, OpenBLAS's `cblas_sgemm` on the same operands.
public struct GEMMBenchmarkResult: Sendable {
    public let shape: GEMMShape
    /// Median GFLOP/s of `sgemm` over the runs.
    public let gflops: Double
    /// Median GFLOP/s of `cblas_sgemm` (nil when not compared).
    public let openBLASGflops: Double?
}

/// GEMM speed on this machine: a large square GEMM (the practical peak that network GFLOP/s are
/// compared with) and the GEMM shapes of HRNet-W32's convolutions (im2col per image: forward
/// M = output channels, K = 9 · input channels, N = H · W; weight gradient M = C, N = 9C, K = H · W
/// with op(B) transposed; input gradient M = 9C, N = H · W, K = C with op(A) transposed).
public enum GEMMBenchmark {
    public static let peakShape = GEMMShape("square 2048", m: 2048, n: 2048, k: 2048)

    /// The GEMMs that take most of a W32 training step at batch 8, as `Conv2D` issues them (one
    /// product per chunk of batch items, ≤ 32 MB of im2col: 6 items at 64², 8 below): 3×3
    /// convolutions of the four branches (32 @ 64², 64 @ 32², 128 @ 16², 256 @ 8²) forward (NN),
    /// weight gradient (NT) and input gradient (TN), and the 64-channel stem/layer1 convolution.
    public static let hrnetShapes: [GEMMShape] = [
        GEMMShape("W32 b1 3x3 fwd (6 img)", m: 32, n: 6 * 4096, k: 288),
        GEMMShape("W32 b2 3x3 fwd (8 img)", m: 64, n: 8 * 1024, k: 576),
        GEMMShape("W32 b3 3x3 fwd (8 img)", m: 128, n: 8 * 256, k: 1152),
        GEMMShape("W32 b4 3x3 fwd (8 img)", m: 256, n: 8 * 64, k: 2304),
        GEMMShape("W32 b1 3x3 dW", transB: true, m: 32, n: 288, k: 6 * 4096),
        GEMMShape("W32 b2 3x3 dW", transB: true, m: 64, n: 576, k: 8 * 1024),
        GEMMShape("W32 b3 3x3 dW", transB: true, m: 128, n: 1152, k: 8 * 256),
        GEMMShape("W32 b4 3x3 dW", transB: true, m: 256, n: 2304, k: 8 * 64),
        GEMMShape("W32 b1 3x3 dX", transA: true, m: 288, n: 6 * 4096, k: 32),
        GEMMShape("W32 b2 3x3 dX", transA: true, m: 576, n: 8 * 1024, k: 64),
        GEMMShape("W32 b3 3x3 dX", transA: true, m: 1152, n: 8 * 256, k: 128),
        GEMMShape("W32 b4 3x3 dX", transA: true, m: 2304, n: 8 * 64, k: 256),
        GEMMShape("stem 3x3 64 @ 64^2 fwd (3 img)", m: 64, n: 3 * 4096, k: 576),
        GEMMShape("stem 3x3 64 @ 64^2 dW", transB: true, m: 64, n: 576, k: 3 * 4096),
    ]

    /// GFLOP/s of `peakShape` (median of `runs`), on `ThreadPool.shared` at its current parallelism.
    public static func peakGFLOPS(runs: Int = 5) -> Double {
        run(shapes: [peakShape], runs: runs, compareOpenBLAS: false)[0].gflops
    }

    /// What a timing divides the work by.
    public enum Clock: Sendable {
        /// Elapsed time: the honest figure, lowered by whatever else runs on the machine.
        case wall
        /// CPU time of this process (all its threads): on a shared, loaded machine it estimates the
        /// per-core speed an idle machine would give (× threads), while the wall figure cannot.
        case processCPU
    }

    /// Times every shape: `runs` rounds, each timing every shape once for ≥ ~40 ms, ours first and
    /// then OpenBLAS's (a pause between them lets OpenBLAS's spinning threads park); medians per
    /// shape, so a burst of load from other processes spoils one round, not the figure.
    public static func run(shapes: [GEMMShape], runs: Int, compareOpenBLAS: Bool,
                           isa: ISA = ISA.active, clock: Clock = .wall,
                           cold: Bool = false) -> [GEMMBenchmarkResult] {
        let operands = shapes.map { Operands($0, isa: isa, clock: clock, cold: cold) }
        var ours = [[Double]](repeating: [], count: shapes.count)
        var theirs = [[Double]](repeating: [], count: shapes.count)
        for _ in 0..<max(runs, 1) {
            for (i, op) in operands.enumerated() { ours[i].append(op.gflops(openBLAS: false)) }
            if compareOpenBLAS {
                usleep(300_000)
                for (i, op) in operands.enumerated() { theirs[i].append(op.gflops(openBLAS: true)) }
                usleep(300_000)
            }
        }
        return shapes.indices.map {
            GEMMBenchmarkResult(shape: shapes[$0], gflops: median(ours[$0]),
                                openBLASGflops: compareOpenBLAS ? median(theirs[$0]) : nil)
        }
    }

    private static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2]
            : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    /// Random operands of one shape, allocated once and reused by every timing. `cold`: enough
    /// copies to cycle through 96 MB (3 × L3), so every call reads A and B from memory, as a layer
    /// of the network does (its input was written long before, or is bigger than the caches).
    private final class Operands {
        let shape: GEMMShape, isa: ISA, clock: Clock
        let copies: Int
        let a: UnsafeMutablePointer<Float>, b: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>
        init(_ shape: GEMMShape, isa: ISA, clock: Clock, cold: Bool) {
            self.shape = shape; self.isa = isa; self.clock = clock
            let bytes = 4 * (shape.m * shape.k + shape.k * shape.n + shape.m * shape.n)
            copies = cold ? max(1, (96 << 20) / bytes) : 1
            func random(_ count: Int) -> UnsafeMutablePointer<Float> {
                var state: UInt32 = 12345
                let p = UnsafeMutablePointer<Float>.allocate(capacity: count)
                for i in 0..<count {
                    state = state &* 1_664_525 &+ 1_013_904_223; p[i] = Float(state >> 8) / 16_777_216 - 0.5
                }
                return p
            }
            a = random(copies * shape.m * shape.k)
            b = random(copies * shape.k * shape.n)
            c = random(copies * shape.m * shape.n)
        }
        deinit { a.deallocate(); b.deallocate(); c.deallocate() }

        func gflops(openBLAS: Bool) -> Double {
            let s = shape
            let lda = s.transA ? s.m : s.k, ldb = s.transB ? s.k : s.n
            func call(_ i: Int) {
                let ap = a + i * s.m * s.k, bp = b + i * s.k * s.n, cp = c + i * s.m * s.n
                if openBLAS {
                    cblas_sgemm(CblasRowMajor, s.transA ? CblasTrans : CblasNoTrans,
                                s.transB ? CblasTrans : CblasNoTrans, Int32(s.m), Int32(s.n), Int32(s.k),
                                1, ap, Int32(lda), bp, Int32(ldb), 0, cp, Int32(s.n))
                } else {
                    sgemm(isa: isa, pool: .shared, transA: s.transA, transB: s.transB, m: s.m, n: s.n, k: s.k,
                          alpha: 1, a: ap, lda: lda, b: bp, ldb: ldb, beta: 0, c: cp, ldc: s.n)
                }
            }
            call(0)  // warm-up: packing buffers, worker threads awake
            var calls = 0
            let start = now(clock)
            var elapsed = 0.0
            repeat {
                call(calls % copies)
                calls += 1
                elapsed = now(clock) - start
            } while elapsed < 0.04
            return Double(calls) * s.flops / elapsed / 1e9
        }
    }

    /// Seconds on `clock` from an arbitrary origin.
    static func now(_ clock: Clock) -> Double {
        var ts = timespec()
        clock_gettime(clock == .wall ? CLOCK_MONOTONIC : CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}
