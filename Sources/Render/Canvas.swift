import COpenCVBridge

/// An RGB picture in memory (rows of `width` RGB triples, no padding) with the drawing calls the
/// pictures need. Drawing goes through the OpenCV bridge straight into `pixels`, no copies.
public struct Canvas: Equatable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    /// A canvas filled with one colour.
    public init(width: Int, height: Int, fill: RGB = .white) {
        precondition(width > 0 && height > 0, "canvas size \(width)x\(height)")
        self.width = width
        self.height = height
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for i in stride(from: 0, to: pixels.count, by: 3) {
            pixels[i] = fill.r; pixels[i + 1] = fill.g; pixels[i + 2] = fill.b
        }
        self.pixels = pixels
    }

    /// A canvas over existing RGB bytes (`width * height * 3` of them).
    public init(width: Int, height: Int, pixels: [UInt8]) throws {
        guard width > 0, height > 0, pixels.count == width * height * 3 else {
            throw RenderError(
                "canvas \(width)x\(height) needs \(max(0, width * height * 3)) RGB bytes, got \(pixels.count)")
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    public subscript(x: Int, y: Int) -> RGB {
        get {
            let i = (y * width + x) * 3
            return RGB(pixels[i], pixels[i + 1], pixels[i + 2])
        }
        set {
            let i = (y * width + x) * 3
            pixels[i] = newValue.r; pixels[i + 1] = newValue.g; pixels[i + 2] = newValue.b
        }
    }

    /// Runs a bridge drawing call on the pixel buffer.
    private mutating func draw(
        _ step: String, _ call: (UnsafeMutablePointer<UInt8>, Int32, Int32, UnsafeMutablePointer<CChar>, Int) -> Int32
    ) throws {
        let w = Int32(width), h = Int32(height)
        try pixels.withUnsafeMutableBufferPointer { buffer in
            _ = try bridge(step) { err, cap in call(buffer.baseAddress!, w, h, err, cap) }
        }
    }

    public mutating func line(
        _ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, colour: RGB, thickness: Int = 1
    ) throws {
        try draw("draw line") { p, w, h, err, cap in
            hr_draw_line(p, w, h, 3, x0, y0, x1, y1, colour.r, colour.g, colour.b, Int32(thickness), err, cap)
        }
    }

    /// A circle outline, or a disc when `thickness` is nil.
    public mutating func circle(_ cx: Double, _ cy: Double, radius: Double, colour: RGB, thickness: Int? = nil) throws {
        try draw("draw circle") { p, w, h, err, cap in
            hr_draw_circle(p, w, h, 3, cx, cy, radius, colour.r, colour.g, colour.b, Int32(thickness ?? -1), err, cap)
        }
    }

    /// A rectangle with inclusive corners; filled when `thickness` is nil.
    public mutating func rectangle(
        _ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, colour: RGB, thickness: Int? = nil
    ) throws {
        try draw("draw rectangle") { p, w, h, err, cap in
            hr_draw_rect(
                p, w, h, 3, Int32(x0), Int32(y0), Int32(x1), Int32(y1), colour.r, colour.g, colour.b,
                Int32(thickness ?? -1), err, cap)
        }
    }

    /// A filled polygon through `points` (x, y).
    public mutating func polygon(_ points: [(x: Double, y: Double)], colour: RGB) throws {
        let xy = points.flatMap { [$0.x, $0.y] }
        try draw("fill polygon") { p, w, h, err, cap in
            hr_fill_polygon(p, w, h, 3, xy, Int32(points.count), colour.r, colour.g, colour.b, err, cap)
        }
    }

    /// A filled ellipse with half-axes (ax, ay) rotated by `angle` degrees.
    public mutating func ellipse(
        _ cx: Double, _ cy: Double, ax: Double, ay: Double, angle: Double = 0, colour: RGB
    ) throws {
        try draw("fill ellipse") { p, w, h, err, cap in
            hr_fill_ellipse(p, w, h, 3, cx, cy, ax, ay, angle, colour.r, colour.g, colour.b, err, cap)
        }
    }

    /// Text with its baseline's left end at (x, y).
    public mutating func text(_ string: String, x: Int, y: Int, scale: Double, colour: RGB, thickness: Int = 1) throws {
        try draw("draw text") { p, w, h, err, cap in
            hr_draw_text(
                p, w, h, 3, string, Int32(x), Int32(y), scale, colour.r, colour.g, colour.b, Int32(thickness), err, cap)
        }
    }

    /// Text on a filled box (so it reads on any background); (x, y) is the box's top-left corner.
    /// Returns the box's width and height.
    @discardableResult
    public mutating func label(_ string: String, x: Int, y: Int, scale: Double, colour: RGB = .white,
                               background: RGB = .black, padding: Int = 2) throws -> (width: Int, height: Int) {
        let size = try Canvas.textSize(string, scale: scale)
        let w = size.width + 2 * padding, h = size.height + size.baseline + 2 * padding
        try rectangle(x, y, x + w - 1, y + h - 1, colour: background)
        try text(string, x: x + padding, y: y + padding + size.height, scale: scale, colour: colour)
        return (w, h)
    }

    /// The size `string` takes at `scale`: width, height above the baseline, descent below it.
    public static func textSize(
        _ string: String, scale: Double, thickness: Int = 1
    ) throws -> (width: Int, height: Int, baseline: Int) {
        var w: Int32 = 0, h: Int32 = 0, base: Int32 = 0
        try bridge("measure text") { err, cap in hr_text_size(string, scale, Int32(thickness), &w, &h, &base, err, cap)
        }
        return (Int(w), Int(h), Int(base))
    }

    /// This canvas resized to (width, height), bilinear (nearest when `smooth` is false).
    public func resized(width: Int, height: Int, smooth: Bool = true) throws -> Canvas {
        if width == self.width && height == self.height { return self }
        var out = Canvas(width: width, height: height)
        try resizeU8(pixels, width: self.width, height: self.height, channels: 3,
            into: &out.pixels, width: width, height: height,
            interpolation: Int32(smooth ? HR_INTERP_LINEAR : HR_INTERP_NEAREST))
        return out
    }

    /// Copies `other` onto this canvas with its top-left corner at (x, y), clipped to the canvas.
    public mutating func paste(_ other: Canvas, x: Int, y: Int) {
        let x0 = max(0, x), x1 = min(width, x + other.width)
        guard x0 < x1 else { return }
        let rowBytes = (x1 - x0) * 3
        other.pixels.withUnsafeBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                for row in max(0, y)..<min(height, y + other.height) {
                    let s = ((row - y) * other.width + (x0 - x)) * 3
                    let d = (row * width + x0) * 3
                    (dst.baseAddress! + d).update(from: src.baseAddress! + s, count: rowBytes)
                }
            }
        }
    }

    /// Pictures side by side (top-aligned), `gap` pixels apart, on `background`.
    public static func row(_ parts: [Canvas], gap: Int = 0, background: RGB = .white) -> Canvas {
        precondition(!parts.isEmpty)
        var out = Canvas(width: parts.map(\.width).reduce(0, +) + gap * (parts.count - 1),
                         height: parts.map(\.height).max()!, fill: background)
        var x = 0
        for part in parts { out.paste(part, x: x, y: 0); x += part.width + gap }
        return out
    }

    /// Pictures one above the other (left-aligned), `gap` pixels apart, on `background`.
    public static func column(_ parts: [Canvas], gap: Int = 0, background: RGB = .white) -> Canvas {
        precondition(!parts.isEmpty)
        var out = Canvas(width: parts.map(\.width).max()!,
                         height: parts.map(\.height).reduce(0, +) + gap * (parts.count - 1), fill: background)
        var y = 0
        for part in parts { out.paste(part, x: 0, y: y); y += part.height + gap }
        return out
    }
}

/// OpenCV resize of an 8-bit buffer into a caller-owned one.
func resizeU8(_ src: [UInt8], width sw: Int, height sh: Int, channels: Int, into dst: inout [UInt8],
              width dw: Int, height dh: Int, interpolation: Int32) throws {
    precondition(src.count == sw * sh * channels && dst.count == dw * dh * channels)
    try src.withUnsafeBufferPointer { s in
        try dst.withUnsafeMutableBufferPointer { d in
            _ = try bridge("resize \(sw)x\(sh) to \(dw)x\(dh)") { err, cap in
                hr_resize_u8(s.baseAddress!, Int32(sw), Int32(sh), Int32(channels), d.baseAddress!,
                             Int32(dw), Int32(dh), interpolation, err, cap)
            }
        }
    }
}

extension Canvas {
    /// Gaussian blur in place with standard deviation `sigma` pixels (reflected borders).
    public mutating func blur(sigma: Double) throws {
        try draw("blur") { p, w, h, err, cap in hr_gaussian_blur(p, w, h, 3, sigma, err, cap) }
    }
}
