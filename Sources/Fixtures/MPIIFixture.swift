import Foundation
import PoseData
import Render

/// One MPII annotation record as the reference's JSON holds it: MATLAB 1-based pixels, joints of
/// unlabelled joints at (-1, -1) with `joints_vis` 0, and the head box PCKh needs.
public struct FixtureRecord: Equatable {
    public var image: String
    public var center: (x: Double, y: Double)
    public var scale: Double
    public var joints: [(x: Double, y: Double)]
    public var visible: [Int]
    /// (x0, y0, x1, y1), 1-based like the joints.
    public var headBox: (Double, Double, Double, Double)

    public static func == (a: FixtureRecord, b: FixtureRecord) -> Bool {
        a.image == b.image && a.center == b.center && a.scale == b.scale && a.visible == b.visible
            && a.headBox == b.headBox && a.joints.elementsEqual(b.joints) { $0 == $1 }
    }
}

/// A small MPII-format dataset of synthetic people, made from a seed: JPEG images of textured
/// backgrounds with one or two stick figures each, and the train/valid annotations.
///
/// Labelling follows MPII's habits: a joint hidden behind an occluder, or more than
/// `outsideMargin` pixels outside the image, is unlabelled; a joint just past the border stays
/// labelled with its outside coordinates. The box: `scale = 1.1 * max(box w, box h) / 200` over
/// the joints and head box, `center` = box centre moved up by `15 * scale` (the loader moves it
/// back down by the same amount, docs/reference-behaviour.md#mpii-records).
public struct MPIIFixture {
    public var seed: UInt64
    /// (width, height) per image, in image order; the last `validImages` are the valid set.
    public var imageSizes: [(Int, Int)]
    public var validImages: Int
    public var jpegQuality: Int

    public static let outsideMargin = 10.0

    /// Twelve images: nine 640x480, two 960x540, one portrait 480x640... in a fixed order.
    public static let defaultSizes: [(Int, Int)] = [
        (640, 480), (960, 540), (640, 480), (480, 640), (640, 480), (640, 480),
        (640, 480), (480, 640), (640, 480), (640, 480), (960, 540), (480, 640),
    ]

    public init(seed: UInt64 = 7, imageSizes: [(Int, Int)] = MPIIFixture.defaultSizes, validImages: Int = 3, jpegQuality: Int = 72) {
        self.seed = seed; self.imageSizes = imageSizes; self.validImages = validImages; self.jpegQuality = jpegQuality
    }

    public struct Output {
        public var images: [(name: String, jpeg: Data)]
        public var train: [FixtureRecord]
        public var valid: [FixtureRecord]
    }

    public static func imageName(_ index: Int) -> String { String(format: "%09d.jpg", 90_000_000 + index) }

    public func generate() throws -> Output {
        guard validImages >= 1, validImages < imageSizes.count else {
            throw FixtureError("fixture: \(validImages) valid images out of \(imageSizes.count) (need at least one of each set)")
        }
        var random = SampleRNG(fixtureSeed: seed)
        var out = Output(images: [], train: [], valid: [])
        for (index, (w, h)) in imageSizes.enumerated() {
            let name = Self.imageName(index)
            var canvas = try Backdrop.draw(width: w, height: h, random: &random)
            let isValid = index >= imageSizes.count - validImages
            let people = isValid || random.chance(0.75) ? 2 : 1
            var records: [FixtureRecord] = []
            for slot in 0..<people {
                let figure = placeFigure(slot: slot, of: people, width: w, height: h, random: &random)
                try figure.draw(on: &canvas)
                var hidden = [Bool](repeating: false, count: 16)
                if random.chance(0.35) { hidden = try occlude(figure, on: &canvas, random: &random) }
                records.append(record(figure, image: name, width: w, height: h, hidden: hidden))
            }
            out.images.append((name, try canvas.encoded(.jpeg(quality: jpegQuality))))
            if isValid { out.valid += records } else { out.train += records }
        }
        return out
    }

    /// Figure `slot` of `count` side by side; now and then pushed past an image edge so some joints
    /// fall outside it.
    private func placeFigure(slot: Int, of count: Int, width: Int, height: Int, random r: inout SampleRNG) -> Figure {
        let w = Double(width), h = Double(height)
        let slotWidth = w / Double(count)
        let tall = r.uniform(0.45, 0.78) * h
        var x = slotWidth * (Double(slot) + 0.5) + r.uniform(-0.15, 0.15) * slotWidth
        // Feet a little above the bottom edge (ankles hang about 0.49 * tall below the pelvis).
        var y = h - 0.5 * tall - r.uniform(0.03, 0.15) * h
        if r.chance(0.25) {
            // Half out of the picture at its own side, or cut at the bottom.
            if r.chance(0.6) { x = slot == 0 ? r.uniform(0.0, 0.08) * w : w * r.uniform(0.92, 1.0) } else { y += 0.3 * tall }
        }
        return Figure.random(pelvis: (x, y), height: tall, random: &r)
    }

    /// Draws a muted box over one limb's end and returns which joints it hides.
    private func occlude(_ f: Figure, on canvas: inout Canvas, random r: inout SampleRNG) throws -> [Bool] {
        let target = [0, 5, 10, 15, 1, 4][r.int(0...5)]
        let p = f.joints[target], size = f.height * r.uniform(0.12, 0.2)
        let x0 = p.x - size * r.uniform(0.3, 0.7), y0 = p.y - size * r.uniform(0.3, 0.7)
        try canvas.rectangle(Int(x0), Int(y0), Int(x0 + size), Int(y0 + size * 1.2), colour: Backdrop.mutedColour(&r))
        return f.joints.map { $0.x >= x0 && $0.x <= x0 + size && $0.y >= y0 && $0.y <= y0 + size * 1.2 }
    }

    private func record(_ f: Figure, image: String, width: Int, height: Int, hidden: [Bool]) -> FixtureRecord {
        let m = Self.outsideMargin
        let visible = f.joints.enumerated().map { j, p in
            !hidden[j] && p.x >= -m && p.y >= -m && p.x <= Double(width - 1) + m && p.y <= Double(height - 1) + m ? 1 : 0
        }
        let head = f.headBox
        let xs = f.joints.map(\.x) + [head.0, head.2], ys = f.joints.map(\.y) + [head.1, head.3]
        let scale = 1.1 * max(xs.max()! - xs.min()!, ys.max()! - ys.min()!) / 200
        let cx = (xs.max()! + xs.min()!) / 2, cy = (ys.max()! + ys.min()!) / 2 - 15 * scale
        return FixtureRecord(
            image: image, center: (round2(cx + 1), round2(cy + 1)), scale: round6(scale),
            joints: zip(f.joints, visible).map { p, v in v == 1 ? (round2(p.x + 1), round2(p.y + 1)) : (-1, -1) },
            visible: visible, headBox: (round2(head.0 + 1), round2(head.1 + 1), round2(head.2 + 1), round2(head.3 + 1)))
    }
}

private func round2(_ v: Double) -> Double { (v * 100).rounded() / 100 }
private func round6(_ v: Double) -> Double { (v * 1_000_000).rounded() / 1_000_000 }
