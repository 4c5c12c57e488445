import COpenCVBridge
import Foundation

/// Picture file formats the bridge writes.
public enum PictureFormat {
    /// Lossless; `level` is zlib's 0–9 (OpenCV's default is 1: fast, a little larger).
    case png(level: Int = 3)
    /// Lossy; `quality` 0–100.
    case jpeg(quality: Int)
}

extension Canvas {
    /// The canvas encoded as PNG or JPEG. The output buffer starts at the raw pixel size plus a
    /// little (PNG rarely grows past it) and grows once if the bridge says it is too small.
    public func encoded(_ format: PictureFormat = .png()) throws -> Data {
        let (code, quality): (Int32, Int32)
        switch format {
        case .png(let level): (code, quality) = (Int32(HR_FORMAT_PNG), Int32(level))
        case .jpeg(let q): (code, quality) = (Int32(HR_FORMAT_JPEG), Int32(q))
        }
        var capacity = pixels.count + 4096
        while true {
            var out = [UInt8](repeating: 0, count: capacity)
            var length = 0
            let status = try pixels.withUnsafeBufferPointer { src in
                try out.withUnsafeMutableBufferPointer { dst in
                    try bridge("encode \(width)x\(height) picture") { err, cap in
                        hr_encode_image(src.baseAddress!, Int32(width), Int32(height), 3, code, quality,
                                        dst.baseAddress!, dst.count, &length, err, cap)
                    }
                }
            }
            if status == Int32(HR_DRAW_OK) { return Data(out[0..<length]) }
            capacity = length
        }
    }

    /// Writes the canvas as a PNG (or JPEG) file; the file appears whole or not at all
    /// (written under a temporary name and renamed), so a reader never sees half a picture.
    public func write(to path: String, format: PictureFormat = .png()) throws {
        let data = try encoded(format)
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw RenderError("\(path): cannot be written (\(error.localizedDescription))")
        }
    }

    /// Decodes a PNG or JPEG into an RGB canvas (pictures read back for checks).
    public static func decode(_ data: Data, name: String = "picture") throws -> Canvas {
        let bytes = [UInt8](data)
        guard !bytes.isEmpty else { throw RenderError("\(name): empty file") }
        var w: Int32 = 0, h: Int32 = 0
        var out: [UInt8] = []
        for _ in 0..<2 {
            let status = try bytes.withUnsafeBufferPointer { src in
                try out.withUnsafeMutableBufferPointer { dst in
                    try bridge("decode \(name)") { err, cap in
                        hr_picture_decode_rgb(src.baseAddress!, src.count, dst.baseAddress, dst.count, &w, &h, err, cap)
                    }
                }
            }
            if status == Int32(HR_DRAW_OK) { return try Canvas(width: Int(w), height: Int(h), pixels: out) }
            out = [UInt8](repeating: 0, count: Int(w) * Int(h) * 3)
        }
        throw RenderError("decode \(name): size changed between calls")
    }

    /// Reads and decodes a picture file.
    public static func read(contentsOf path: String) throws -> Canvas {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RenderError("\(path): cannot be read")
        }
        return try decode(data, name: path)
    }
}
