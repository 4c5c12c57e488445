import AffineCrop
import COpenCVBridge

/// A rectangle of image pixels: columns `x`, rows `y`.
public typealias PixelRegion = (x: Range<Int>, y: Range<Int>)

/// An 8-bit RGB image, HWC, or a window of one: `width × height` is always the full image's size,
/// `window` the part of it held in memory (all of it unless the decoder was asked for a window),
/// at `rowBytes` per row. The caller owns it and reuses it: decoding into an image that already
/// has room allocates nothing.
public final class RGBImage {
    /// The full image's size.
    public private(set) var width = 0
    public private(set) var height = 0
    /// The pixels held, in full-image coordinates: each equals the full image's pixel there.
    public private(set) var window: PixelRegion = (0..<0, 0..<0)
    /// Bytes from one held row to the next.
    public private(set) var rowBytes = 0
    /// The rectangle decoded into the buffer (contains `window`; a window decode may hold one
    /// extra column at a crop edge whose pixels are not the image's, see `hr_decoder_set_window`).
    public private(set) var decoded: PixelRegion = (0..<0, 0..<0)
    private var storage: UnsafeMutablePointer<UInt8>?
    private var capacity = 0

    public init() {}

    /// An image of the given size, zero-filled.
    public init(width: Int, height: Int) {
        resize(width: width, height: height)
        pixels.initialize(repeating: 0)
    }

    deinit { storage?.deallocate() }

    /// Whether the whole image is held.
    public var isWhole: Bool { window.x.count == width && window.y.count == height }

    /// The `width·height·3` bytes, [y][x][R,G,B], of a whole image (rows packed).
    public var pixels: UnsafeMutableBufferPointer<UInt8> {
        precondition(isWhole, "pixels of a \(width)x\(height) image of which only the window \(window) is held")
        return UnsafeMutableBufferPointer(start: storage, count: width * height * 3)
    }

    /// The first byte of pixel (x, y) (full-image coordinates, inside `window`).
    public func pixel(x: Int, y: Int) -> UnsafeMutablePointer<UInt8> {
        precondition(window.x.contains(x) && window.y.contains(y), "pixel (\(x), \(y)) outside the window \(window)")
        return storage! + (y - decoded.y.lowerBound) * rowBytes + (x - decoded.x.lowerBound) * 3
    }

    /// Sets the size (the whole image held), growing the allocation only when it is too small
    /// (contents are then undefined).
    public func resize(width: Int, height: Int) {
        precondition(width >= 0 && height >= 0, "image size")
        let all: PixelRegion = (0..<width, 0..<height)
        hold(width: width, height: height, stored: all, window: all)
    }

    /// Makes room for `stored` of a `width × height` image, of which `window` will be valid.
    func hold(width: Int, height: Int, stored: PixelRegion, window: PixelRegion) {
        let needed = stored.x.count * stored.y.count * 3
        if needed > capacity {
            storage?.deallocate()
            storage = .allocate(capacity: needed)
            capacity = needed
        }
        self.width = width
        self.height = height
        decoded = stored
        self.window = window
        rowBytes = stored.x.count * 3
    }

    /// The stored bytes (the decoder writes them).
    fileprivate var storedBytes: UnsafeMutableBufferPointer<UInt8> {
        UnsafeMutableBufferPointer(start: storage, count: decoded.x.count * decoded.y.count * 3)
    }
}

extension RGBImage {
    /// The part of the image held: all of it, or the window a window decode kept
    /// (`ImageDecoder.decode(_:name:into:window:)`).
    public var view: ImageView {
        let held = !window.x.isEmpty && !window.y.isEmpty
        return ImageView(base: UnsafePointer(held ? pixel(x: window.x.lowerBound, y: window.y.lowerBound) : noPixels),
                         rowBytes: rowBytes, window: window, imageWidth: width, imageHeight: height)
    }
}

/// The base of an image that holds no pixels (0×0): never read, since its window is empty.
nonisolated(unsafe) private let noPixels = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)

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

    /// The largest image side and RGB byte count decoded: the affine crop (OpenCV's fixed-point
    /// warp) takes tap coordinates below Int16.max = 32767 and addresses source pixels with 32-bit
    /// offsets (`y·rowBytes + 3x`, all of them below Int32.max = 2³¹ − 1). Larger images are refused
    /// from their header, before any pixel is allocated.
    public static let maxSide = Int(Int16.max) - 1
    public static let maxBytes = Int(Int32.max) - 1

    /// Decodes `bytes` into `image` (resized as needed). `name` only names the image in errors.
    ///
    /// `window`, given the image's size (from its header), names the pixels wanted; nil (or a nil
    /// answer) decodes the whole image. JPEGs of the kinds proven exact then decode only what
    /// covers that region (`hr_decoder_set_window`) and `image.window` holds it, each pixel equal
    /// to the full decode's; other images are decoded whole.
    public func decode(_ bytes: UnsafeRawBufferPointer, name: String, into image: RGBImage,
                       window: ((_ width: Int, _ height: Int) -> PixelRegion?)? = nil) throws {
        var w: Int32 = 0, h: Int32 = 0
        let status = message.withUnsafeMutableBufferPointer { msg in
            hr_decode(handle, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count, &w, &h, msg.baseAddress, msg.count)
        }
        guard status == 0 else { throw undecodable(name) }
        let width = Int(w), height = Int(h)
        guard width <= Self.maxSide && height <= Self.maxSide && width * height * 3 <= Self.maxBytes else {
            throw PoseDataError(file: name, problem: "is \(width)x\(height) pixels: too large to crop (at most "
                                + "\(Self.maxSide) pixels a side and \(Self.maxBytes) bytes of RGB: the affine crop's "
                                + "16-bit coordinates and 32-bit offsets)")
        }
        let all: PixelRegion = (0..<width, 0..<height)
        var stored = all, valid = all
        if let region = window?(width, height), !region.x.isEmpty, !region.y.isEmpty, region != all {
            precondition(region.x.lowerBound >= 0 && region.x.upperBound <= width && region.y.lowerBound >= 0 && region.y.upperBound <= height,
                         "window \(region) outside the \(width)x\(height) image")
            var s = [Int32](repeating: 0, count: 4), e = [Int32](repeating: 0, count: 4)
            let set = message.withUnsafeMutableBufferPointer { msg in
                hr_decoder_set_window(handle, Int32(region.x.lowerBound), Int32(region.y.lowerBound), Int32(region.x.upperBound),
                                      Int32(region.y.upperBound), &s, &e, msg.baseAddress, msg.count)
            }
            guard set == 0 else { throw undecodable(name) }
            stored = (Int(s[0])..<Int(s[2]), Int(s[1])..<Int(s[3]))
            valid = (Int(e[0])..<Int(e[2]), Int(e[1])..<Int(e[3]))
        }
        image.hold(width: width, height: height, stored: stored, window: valid)
        let px = image.storedBytes
        let read = message.withUnsafeMutableBufferPointer { msg in
            hr_decoder_read_rgb(handle, px.baseAddress, px.count, msg.baseAddress, msg.count)
        }
        guard read == 0 else { throw undecodable(name) }
    }

    private func undecodable(_ name: String) -> PoseDataError {
        PoseDataError(file: name, problem: "cannot be decoded as an image (\(lastMessage))")
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
    /// `window`: the part wanted, given the image's size (see `ImageDecoder.decode`).
    public func load(_ path: String, into image: RGBImage, window: ((_ width: Int, _ height: Int) -> PixelRegion?)? = nil) throws {
        let bytes = try reader.read(path)
        try decoder.decode(bytes, name: path, into: image, window: window)
    }
}
