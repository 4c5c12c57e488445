import COpenCVBridge

/// An 8-bit RGB image, HWC, rows packed. The caller owns it and reuses it: decoding into an image
/// that already has room allocates nothing.
public final class RGBImage {
    public private(set) var width = 0
    public private(set) var height = 0
    private var storage: UnsafeMutablePointer<UInt8>?
    private var capacity = 0

    public init() {}

    /// An image of the given size, zero-filled.
    public init(width: Int, height: Int) {
        resize(width: width, height: height)
        pixels.initialize(repeating: 0)
    }

    deinit { storage?.deallocate() }

    /// The `width·height·3` bytes, [y][x][R,G,B].
    public var pixels: UnsafeMutableBufferPointer<UInt8> {
        UnsafeMutableBufferPointer(start: storage, count: width * height * 3)
    }

    /// Sets the size, growing the allocation only when it is too small (contents are then undefined).
    public func resize(width: Int, height: Int) {
        precondition(width >= 0 && height >= 0, "image size")
        let needed = width * height * 3
        if needed > capacity {
            storage?.deallocate()
            storage = .allocate(capacity: needed)
            capacity = needed
        }
        self.width = width
        self.height = height
    }
}

/// Decodes JPEG/PNG bytes the reference's way (`IMREAD_COLOR | IMREAD_IGNORE_ORIENTATION`, then
/// BGR→RGB) through the bridge: JPEGs by libjpeg straight into `image` as RGB (the same pixels,
/// without OpenCV's two channel swaps), other formats by OpenCV. One decoder per thread.
public final class ImageDecoder {
    private let handle: OpaquePointer
    private var message = [CChar](repeating: 0, count: 512)

    public init() {
        guard let h = hr_decoder_create() else { fatalError("out of memory creating an image decoder") }
        handle = h
    }

    deinit { hr_decoder_destroy(handle) }

    /// Decodes `bytes` into `image` (resized as needed). `name` only names the image in errors.
    public func decode(_ bytes: UnsafeRawBufferPointer, name: String, into image: RGBImage) throws {
        var w: Int32 = 0, h: Int32 = 0
        let status = message.withUnsafeMutableBufferPointer { msg in
            hr_decode(handle, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count, &w, &h, msg.baseAddress, msg.count)
        }
        guard status == 0 else { throw PoseDataError(file: name, problem: "cannot be decoded as an image (\(lastMessage))") }
        image.resize(width: Int(w), height: Int(h))
        let px = image.pixels
        let read = message.withUnsafeMutableBufferPointer { msg in
            hr_decoder_read_rgb(handle, px.baseAddress, px.count, msg.baseAddress, msg.count)
        }
        guard read == 0 else { throw PoseDataError(file: name, problem: "cannot be decoded as an image (\(lastMessage))") }
    }

    private var lastMessage: String { message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) } }
}

/// Process-wide OpenCV settings.
public enum OpenCVRuntime {
    /// The linked OpenCV's version, e.g. "4.6.0".
    public static var version: String { String(cString: hr_cv_version()) }

    /// OpenCV's own thread count (cv::setNumThreads; −1 restores the default). Call with 0 when the
    /// caller runs its own worker threads (build-shards): each decode/warp then runs serially on the
    /// calling thread instead of also fanning out over OpenCV's TBB pool, so N workers use N cores.
    /// Results are identical either way; only the scheduling changes.
    public static func setThreads(_ n: Int) { hr_cv_set_threads(Int32(n)) }
}

/// Reads and decodes images: an `ImageReader` and an `ImageDecoder` together. One per thread.
public final class ImageLoader {
    public let reader = ImageReader()
    public let decoder = ImageDecoder()

    public init() {}

    /// Loads the image at `path` (file or `archive.zip@/member`) into `image`; errors name `path`.
    public func load(_ path: String, into image: RGBImage) throws {
        let bytes = try reader.read(path)
        try decoder.decode(bytes, name: path, into: image)
    }
}
