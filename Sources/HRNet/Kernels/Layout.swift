/// Conversion between the caller's batch-major NCHW tensors and the network's channel-major
/// `[C, N, H, W]` layout (where every channel is one contiguous run of N·H·W values, so a
/// convolution is a single GEMM and BatchNorm reads one block per channel).
public enum Layout {
    /// `dst[c, n, p] = src[n, c, p]` for `plane` pixels per (n, c).
    public static func toChannelMajor<T: KernelScalar>(_ src: UnsafePointer<T>, _ dst: UnsafeMutablePointer<T>,
                                                       batch: Int, channels: Int, plane: Int) {
        ThreadPool.shared.parallelFor(channels) { c in
            for n in 0..<batch {
                (dst + (c * batch + n) * plane).update(from: src + (n * channels + c) * plane, count: plane)
            }
        }
    }

    /// `dst[n, c, p] = src[c, n, p]`, the inverse of `toChannelMajor`.
    public static func toBatchMajor<T: KernelScalar>(_ src: UnsafePointer<T>, _ dst: UnsafeMutablePointer<T>,
                                                     batch: Int, channels: Int, plane: Int) {
        ThreadPool.shared.parallelFor(channels) { c in
            for n in 0..<batch {
                (dst + (n * channels + c) * plane).update(from: src + (c * batch + n) * plane, count: plane)
            }
        }
    }
}
