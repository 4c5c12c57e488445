#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One zero-filled Float allocation, taken from `calloc` rather than allocated and then written
/// with zeros: the kernel maps large allocations to zero pages that become resident only when first
/// written, so a buffer a run never touches costs address space, not memory. A forward-only model
/// never writes its gradients or the optimiser's state (W32: 114 MB and 228 MB for Adam), and a
/// training step touches its whole arena anyway, so its peak memory is what it uses.
final class ZeroedFloats {
    let pointer: UnsafeMutablePointer<Float>

    /// `count` floats (at least one), all 0.
    init(count: Int) {
        let n = max(count, 1)
        guard let raw = calloc(n, MemoryLayout<Float>.stride) else {
            fatalError("out of memory: cannot allocate \(n) floats (\(n * MemoryLayout<Float>.stride) bytes)")
        }
        pointer = raw.bindMemory(to: Float.self, capacity: n)
    }

    deinit { free(pointer) }
}
