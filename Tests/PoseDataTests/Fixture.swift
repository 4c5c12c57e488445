import GoldenFiles
import PoseData
import Shards

/// The golden fixture dataset (12 JPEGs, 16 train + 8 valid records) and its reference outputs.
enum Fixture {
    static let root = Golden.path("fixture")

    static func records(_ set: String) throws -> [PoseRecord] {
        try MPIIAnnotations.load(path: Golden.path("fixture/annot/\(set).json"), set: set)
    }

    /// Rows `[k·n, (k+1)·n)` of a flat array.
    static func row<T>(_ a: [T], _ k: Int, _ n: Int) -> [T] { Array(a[(k * n)..<((k + 1) * n)]) }

    /// Flat (x, y, z) triples as SIMD3 values.
    static func triples(_ a: [Double]) -> [SIMD3<Double>] {
        stride(from: 0, to: a.count, by: 3).map { SIMD3(a[$0], a[$0 + 1], a[$0 + 2]) }
    }
}

/// Decodes each fixture image once per source and keeps it (decode once, sample many times).
final class DecodedImages {
    let format: ImageFormat
    private let loader = ImageLoader()
    private var cache: [String: RGBImage] = [:]

    init(_ format: ImageFormat) { self.format = format }

    func image(_ name: String) throws -> RGBImage {
        if let img = cache[name] { return img }
        let img = RGBImage()
        try loader.load(format.path(root: Fixture.root, image: name), into: img)
        cache[name] = img
        return img
    }
}
