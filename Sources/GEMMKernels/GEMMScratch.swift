#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Cache blocking of the GEMM driver (Zen 4/5: 32–48 KB L1d and 1 MB L2 per core).
///   kc: depth of a packed block; an A micro-panel (mr × kc, ≤ 12 KB) stays in L1 while it sweeps
///       the B block.
///   nc: width of the packed B block (kc × nc ≈ 480 KB), which stays in the core's L2.
///   mc: height of the packed A block (mc × kc), streamed from L2/L3; large enough that the
///       weight side of an HRNet convolution is packed once.
enum GEMMBlocking {
    static let kc = 384
    static let nc = 320
    static let mc = 1152
    /// The widest tile of any kernel (bounds of the scratch buffers).
    static let maxMR = 8, maxNR = 32
}

/// Per-thread packing buffers, allocated on a thread's first GEMM and kept for its lifetime, so a
/// training step allocates nothing. Thread-local rather than per-task because `sgemm` may itself be
/// called from inside a parallel loop (then it runs serially on each thread at once).
final class GEMMScratch {
    let packedA: UnsafeMutablePointer<Float>
    let packedB: UnsafeMutablePointer<Float>
    let tile: UnsafeMutablePointer<Float>

    private init() {
        func aligned(_ count: Int) -> UnsafeMutablePointer<Float> {
            UnsafeMutableRawPointer.allocate(byteCount: count * 4, alignment: 64)
                .bindMemory(to: Float.self, capacity: count)
        }
        let b = GEMMBlocking.self
        packedA = aligned((b.mc + b.maxMR) * b.kc)
        packedB = aligned(b.kc * (b.nc + b.maxNR))
        tile = aligned(b.maxMR * b.maxNR)
    }

    deinit {
        UnsafeMutableRawPointer(packedA).deallocate()
        UnsafeMutableRawPointer(packedB).deallocate()
        UnsafeMutableRawPointer(tile).deallocate()
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        let rc = pthread_key_create(&key) { raw in
            if let raw { Unmanaged<GEMMScratch>.fromOpaque(raw).release() }
        }
        precondition(rc == 0, "GEMMScratch: pthread_key_create failed (\(rc))")
        return key
    }()

    /// The calling thread's buffers.
    static var current: GEMMScratch {
        if let raw = pthread_getspecific(key) { return Unmanaged<GEMMScratch>.fromOpaque(raw).takeUnretainedValue() }
        let scratch = GEMMScratch()
        pthread_setspecific(key, Unmanaged.passRetained(scratch).toOpaque())
        return scratch
    }
}
