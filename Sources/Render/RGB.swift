/// An 8-bit RGB colour. Canvases hold RGB; the bridge swaps to OpenCV's BGR only where OpenCV
/// itself meets the outside world (encode, decode, colour map).
public struct RGB: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var r: UInt8, g: UInt8, b: UInt8
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { self.r = r; self.g = g; self.b = b }
    public var description: String { "RGB(\(r), \(g), \(b))" }

    public static let black = RGB(0, 0, 0)
    public static let white = RGB(255, 255, 255)
    public static let red = RGB(230, 40, 40)
    public static let lightGrey = RGB(225, 225, 225)
    public static let midGrey = RGB(140, 140, 140)
    public static let darkGrey = RGB(40, 40, 40)

    /// Line colours for chart series, picked to stay distinguishable on white (Tableau 10).
    public static let series: [RGB] = [
        RGB(31, 119, 180), RGB(255, 127, 14), RGB(44, 160, 44), RGB(214, 39, 40),
        RGB(148, 103, 189), RGB(140, 86, 75), RGB(227, 119, 194), RGB(127, 127, 127),
    ]
}
