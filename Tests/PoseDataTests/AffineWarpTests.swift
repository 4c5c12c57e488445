import AffineCrop
import Benchmarks
import GoldenFiles
import PoseData
import XCTest

/// Our `AffineWarp` against OpenCV 4.6's own warpAffine (the oracle, through the bridge), bit for
/// bit: random matrices on random images of many sizes, crops partly or wholly outside, flipped
/// crops against OpenCV's warp of the cv::flip-mirrored image, and windowed views; the x86 and
/// the portable inside blend alike.
final class AffineWarpTests: XCTestCase {
    /// A `width × height` image of random bytes.
    private func randomImage(_ width: Int, _ height: Int, _ rng: inout SampleRNG) -> RGBImage {
        let img = RGBImage(width: width, height: height)
        for i in img.pixels.indices { img.pixels[i] = UInt8(truncatingIfNeeded: rng.next()) }
        return img
    }

    /// A random forward matrix mapping a box somewhere around (and sometimes far outside) a
    /// `w × h` image onto a `width × height` output: rotation, scale 1/20…20, possibly mirrored or
    /// sheared, or one of the reference's own crop matrices.
    private func randomMatrix(_ w: Int, _ h: Int, _ width: Int, _ height: Int, _ rng: inout SampleRNG) -> AffineMatrix {
        let c = SIMD2(rng.uniform() * 1.6 - 0.3, rng.uniform() * 1.6 - 0.3) * SIMD2(Double(w), Double(h))
        if rng.uniform() < 0.3 {
            let s = (0.02 + 2 * rng.uniform()) * Double(max(w, h)) / 200
            return CropAffine.matrix(center: c, scale: SIMD2(s, s), rotation: rng.uniform() < 0.4 ? 0 : 360 * rng.uniform() - 180,
                                     outputSize: (width, height))
        }
        let angle = rng.uniform() < 0.3 ? Double(Int(rng.uniform() * 4)) * .pi / 2 : 2 * .pi * rng.uniform()
        let scale = exp((rng.uniform() * 2 - 1) * log(20.0))
        var a = scale * cos(angle), b = -scale * sin(angle), d = scale * sin(angle), e = scale * cos(angle)
        if rng.uniform() < 0.2 { a = -a; d = -d }                        // mirrored
        if rng.uniform() < 0.2 { b += 0.5 * (rng.uniform() - 0.5) * scale } // sheared
        // Translation: the source point c lands on a random output point.
        let t = SIMD2(rng.uniform() * Double(width), rng.uniform() * Double(height))
        return AffineMatrix(a, b, t.x - a * c.x - b * c.y, d, e, t.y - d * c.x - e * c.y)
    }

    /// Ours (plain and mirrored, each with the x86 and the portable blend) against OpenCV on
    /// `image`; returns whether the crop read any pixel.
    @discardableResult
    private func assertMatchesOpenCV(_ image: RGBImage, mirror: RGBImage, _ m: AffineMatrix, _ width: Int, _ height: Int,
                                     _ what: @autoclosure () -> String, file: StaticString = #filePath, line: UInt = #line) throws -> Bool {
        var ours = [UInt8](repeating: 0xAA, count: width * height * 3), theirs = ours
        for mirrored in [false, true] {
            try theirs.withUnsafeMutableBufferPointer {
                try OpenCVWarp.warpAffine(mirrored ? mirror : image, matrix: m, into: $0, width: width, height: height)
            }
            for portable in [false, true] {
                ours.withUnsafeMutableBufferPointer {
                    AffineWarp.warp(image.view, matrix: m, mirrored: mirrored, into: $0, width: width, height: height, portable: portable)
                }
                XCTAssertTrue(ours == theirs, "\(what()) mirrored \(mirrored) portable \(portable) \(m.entries): \(zip(ours, theirs).filter { $0 != $1 }.count) bytes differ",
                              file: file, line: line)
            }
        }
        let r = AffineWarp.sampledRegion(matrix: m, sourceWidth: image.width, sourceHeight: image.height, width: width, height: height)
        return !r.x.isEmpty && !r.y.isEmpty
    }

    func testMatchesOpenCVOnRandomMatricesAndImageSizes() throws {
        var rng = SampleRNG(seed: 11, epoch: 0, record: 0)
        let sizes = [(1, 1), (2, 3), (3, 2), (1, 7), (7, 1), (5, 5), (17, 9), (64, 33), (101, 77), (320, 240)]
        var cases = 0, sampling = 0
        for (w, h) in sizes {
            let image = randomImage(w, h, &rng), mirror = RGBImage()
            OpenCVWarp.mirror(image, into: mirror)
            for _ in 0..<300 {
                let width = 1 + Int(rng.uniform() * 40), height = 1 + Int(rng.uniform() * 40)
                let m = randomMatrix(w, h, width, height, &rng)
                if try assertMatchesOpenCV(image, mirror: mirror, m, width, height, "\(w)x\(h) → \(width)x\(height)") { sampling += 1 }
                cases += 1
            }
        }
        XCTAssertEqual(cases, 3000)
        XCTAssertGreaterThan(sampling, 1500, "most crops read the image")
        XCTAssertLessThan(sampling, cases, "some crops lie wholly outside")
    }

    /// Full-size crops (256×256, odd sizes with SIMD tails, and crops wider than one 256-column
    /// strip) of the fixture photos, with random boxes inside, across the border and outside.
    func testMatchesOpenCVOnFixtureCrops() throws {
        let images = DecodedImages(.jpg)
        var rng = SampleRNG(seed: 5, epoch: 0, record: 0)
        let mirror = RGBImage()
        for name in Set(try Fixture.records("train").map(\.image)).sorted() {
            let image = try images.image(name)
            OpenCVWarp.mirror(image, into: mirror)
            for (width, height) in [(256, 256), (192, 256), (97, 131), (300, 40), (513, 9)] {
                let m = randomMatrix(image.width, image.height, width, height, &rng)
                try assertMatchesOpenCV(image, mirror: mirror, m, width, height, "\(name) → \(width)x\(height)")
            }
        }
    }

    /// Degenerate and extreme matrices: singular (OpenCV then samples pixel (0, 0) everywhere),
    /// taps beyond the 16-bit range (saturated), positions beyond the int range (cvRound's INT_MIN).
    func testMatchesOpenCVOnExtremeMatrices() throws {
        var rng = SampleRNG(seed: 3, epoch: 0, record: 0)
        let image = randomImage(40, 30, &rng), mirror = RGBImage()
        OpenCVWarp.mirror(image, into: mirror)
        let matrices = [
            AffineMatrix(0, 0, 0, 0, 0, 0), AffineMatrix(1, 2, 3, 2, 4, 6),               // singular
            AffineMatrix(1, 0, 40_000, 0, 1, -40_000), AffineMatrix(0.001, 0, 10, 0, 0.001, 10),
            AffineMatrix(1, 0, 3e6, 0, 1, 0), AffineMatrix(1, 0, 0, 0, 1, -3e6),            // |X0| > 2^31
            AffineMatrix(1e-7, 0, 0, 0, 1e-7, 0), AffineMatrix(-1, 0, 39, 0, -1, 29),
        ]
        for (k, m) in matrices.enumerated() {
            try assertMatchesOpenCV(image, mirror: mirror, m, 33, 21, "matrix \(k)")
        }
    }

    /// A view holding only `sampledRegion` (in a buffer padded with other bytes around it, with a
    /// row stride of its own) gives the crop of the whole image, plain and mirrored.
    func testWindowedViewGivesTheWholeImageCrop() throws {
        let images = DecodedImages(.jpg)
        var rng = SampleRNG(seed: 7, epoch: 0, record: 0)
        var partial = 0, cases = 0
        for name in Set(try Fixture.records("train").map(\.image) + Fixture.records("valid").map(\.image)).sorted() {
            let image = try images.image(name)
            for _ in 0..<10 {
                let mirrored = rng.uniform() < 0.5
                let m = randomMatrix(image.width, image.height, 96, 128, &rng)
                let r = AffineWarp.sampledRegion(matrix: m, sourceWidth: image.width, sourceHeight: image.height,
                                                 width: 96, height: 128, mirrored: mirrored)
                if r.x.count < image.width || r.y.count < image.height { partial += 1 }
                let rowBytes = 3 * r.x.count + 7
                var held = [UInt8](repeating: 0x5A, count: rowBytes * (r.y.count + 2) + 16)
                let start = rowBytes + 5
                for y in r.y {
                    for x in r.x {
                        for c in 0..<3 { held[start + (y - r.y.lowerBound) * rowBytes + 3 * (x - r.x.lowerBound) + c] = image.pixels[3 * (y * image.width + x) + c] }
                    }
                }
                var whole = [UInt8](repeating: 0, count: 96 * 128 * 3), windowed = whole
                whole.withUnsafeMutableBufferPointer { AffineWarp.warp(image.view, matrix: m, mirrored: mirrored, into: $0, width: 96, height: 128) }
                held.withUnsafeBufferPointer { h in
                    let view = ImageView(base: h.baseAddress! + start, rowBytes: rowBytes, window: r,
                                         imageWidth: image.width, imageHeight: image.height)
                    windowed.withUnsafeMutableBufferPointer { AffineWarp.warp(view, matrix: m, mirrored: mirrored, into: $0, width: 96, height: 128) }
                }
                XCTAssertTrue(whole == windowed, "\(name) mirrored \(mirrored) \(m.entries) window \(r)")
                cases += 1
            }
        }
        XCTAssertEqual(cases, 120)
        XCTAssertGreaterThan(partial, 60, "most crops sample only part of the image")
    }

    /// The region is exactly the taps' extent: an identity crop of the top-left 10×6 pixels reads
    /// columns 0…10 and rows 0…6 (each tap's right/lower neighbour has weight 0 but is a tap), the
    /// mirrored one the rightmost 11 columns; a crop wholly outside reads nothing.
    func testSampledRegionIsTheTapExtent() {
        let id = AffineMatrix(1, 0, 0, 0, 1, 0)
        var r = AffineWarp.sampledRegion(matrix: id, sourceWidth: 50, sourceHeight: 40, width: 10, height: 6)
        XCTAssertEqual(r.x, 0..<11); XCTAssertEqual(r.y, 0..<7)
        r = AffineWarp.sampledRegion(matrix: id, sourceWidth: 50, sourceHeight: 40, width: 10, height: 6, mirrored: true)
        XCTAssertEqual(r.x, 39..<50); XCTAssertEqual(r.y, 0..<7)
        r = AffineWarp.sampledRegion(matrix: AffineMatrix(1, 0, -100, 0, 1, 0), sourceWidth: 50, sourceHeight: 40, width: 10, height: 6)
        XCTAssertTrue(r.x.isEmpty)
    }

    /// Why our blend needs no weight table: OpenCV's BilinearTab_i, built here as initInterTab2D
    /// builds it (float products of the 1-D weights × 32768, saturate_cast<short>, then the sum
    /// fix-up with its scan of entries (1,1)…(2,2) of a 2×2 kernel, which reads past the entry
    /// into the next, still zero), is 32·wx·wy for every fraction but (0, 0), which is
    /// (32767, 0, 0, 1); and (Σ v·w + 2^14) >> 15 over any subset of the taps (the ones inside the
    /// image) equals our (Σ v·wx·wy + 512) >> 10 for every tap value.
    func testClosedFormWeightsGiveOpenCVsTableResults() {
        let scale = Float(1) / 32
        let oneD = (0..<32).flatMap { i -> [Float] in let x = Float(i) * scale; return [1 - x, x] }
        var itab = [Int16](repeating: 0, count: (32 * 32 + 1) * 4)   // one entry of slack for the fix-up's scan
        for i in 0..<32 {
            for j in 0..<32 {
                let e = 4 * (32 * i + j)
                var isum = 0
                for k1 in 0..<2 {
                    for k2 in 0..<2 {
                        let v = (oneD[2 * i + k1] * oneD[2 * j + k2] * 32768).rounded(.toNearestOrEven)
                        itab[e + 2 * k1 + k2] = Int16(max(-32768, min(32767, v)))
                        isum += Int(itab[e + 2 * k1 + k2])
                    }
                }
                let diff = isum - 32768
                guard diff != 0 else { continue }
                var (mk, bigK) = (3, 3)
                for k1 in 1..<3 {
                    for k2 in 1..<3 {
                        let k = 2 * k1 + k2
                        if itab[e + k] < itab[e + mk] { mk = k } else if itab[e + k] > itab[e + bigK] { bigK = k }
                    }
                }
                if diff < 0 { itab[e + bigK] -= Int16(diff) } else { itab[e + mk] -= Int16(diff) }
            }
        }
        XCTAssertEqual(Array(itab[0..<4]), [32767, 0, 0, 1])
        for fy in 0..<32 {
            for fx in 0..<32 where fx + fy > 0 {
                let w = [(32 - fx) * (32 - fy), fx * (32 - fy), (32 - fx) * fy, fx * fy].map { Int16(32 * $0) }
                XCTAssertEqual(Array(itab[(4 * (32 * fy + fx))..<(4 * (32 * fy + fx) + 4)]), w, "fraction (\(fx), \(fy))")
            }
        }
        // Fraction (0, 0): ours weighs only tap 0 (1024), OpenCV taps 0 and 3; any taps inside.
        for v0 in 0...255 {
            for v3 in stride(from: 0, through: 255, by: 5) {
                for inside in 0..<16 {
                    let t0 = inside & 1 != 0 ? v0 : 0, t3 = inside & 8 != 0 ? v3 : 0
                    XCTAssertEqual((t0 * 32767 + t3 + 16384) >> 15, (t0 * 1024 + 512) >> 10, "v0 \(v0) v3 \(v3) taps \(inside)")
                }
            }
        }
    }

    /// The oracle is the fixed-point OpenCV (≤ 4.10) the golden crops were made with, and its
    /// thread setting changes scheduling, not results.
    func testOracleIsTheFixedPointOpenCVAndThreadsDoNotChangeIt() throws {
        let v = OpenCVRuntime.version.split(separator: ".").compactMap { Int($0) }
        XCTAssertTrue(v.count >= 2 && v[0] == 4 && v[1] <= 10, "OpenCV \(OpenCVRuntime.version)")
        let image = try DecodedImages(.jpg).image(try Fixture.records("train")[3].image)
        let m = CropAffine.matrix(center: SIMD2(300, 200), scale: SIMD2(2, 2), rotation: 33, outputSize: (256, 256))
        var parallel = [UInt8](repeating: 0, count: 256 * 256 * 3), serial = parallel
        try parallel.withUnsafeMutableBufferPointer { try OpenCVWarp.warpAffine(image, matrix: m, into: $0, width: 256, height: 256) }
        OpenCVRuntime.setThreads(0)
        defer { OpenCVRuntime.setThreads(-1) }
        try serial.withUnsafeMutableBufferPointer { try OpenCVWarp.warpAffine(image, matrix: m, into: $0, width: 256, height: 256) }
        XCTAssertTrue(parallel == serial)
    }
}
