import Foundation
import Render
import XCTest

final class CanvasTests: XCTestCase {
    func testCanvasRowAndColumnStackPictures() {
        let a = Canvas(width: 10, height: 20, fill: .red), b = Canvas(width: 5, height: 8, fill: .black)
        let row = Canvas.row([a, b], gap: 2)
        XCTAssertEqual(row.width, 17)
        XCTAssertEqual(row.height, 20)
        XCTAssertEqual(row[12, 7], .black)
        XCTAssertEqual(row[12, 9], .white)
        let column = Canvas.column([a, b])
        XCTAssertEqual(column.height, 28)
        XCTAssertEqual(column[4, 27], .black)
    }

    func testBridgeRefusalsAreErrorsNotCrashes() throws {
        var canvas = Canvas(width: 8, height: 8)
        XCTAssertThrowsError(try canvas.polygon([(0, 0), (4, 4)], colour: .black)) { error in
            XCTAssertEqual("\(error)", "fill polygon: polygon: needs at least 3 points")
        }
        XCTAssertThrowsError(try Canvas(width: 4, height: 4, pixels: [0, 0, 0])) { error in
            XCTAssertTrue("\(error)".contains("needs 48 RGB bytes, got 3"), "\(error)")
        }
    }

    func testJPEGIsSmallerAndCloseToTheCanvas() throws {
        var canvas = Canvas(width: 64, height: 64, fill: RGB(200, 40, 40))
        try canvas.circle(32, 32, radius: 10, colour: .white)
        let jpeg = try canvas.encoded(.jpeg(quality: 90))
        let back = try Canvas.decode(jpeg)
        XCTAssertEqual(back.width, 64)
        let p = back[5, 5]
        XCTAssertEqual(Int(p.r), 200, accuracy: 6)
        XCTAssertEqual(Int(p.g), 40, accuracy: 6)
        XCTAssertEqual(Int(p.b), 40, accuracy: 6)
        XCTAssertThrowsError(try Canvas.decode(Data([1, 2, 3]), name: "junk.png")) { error in
            XCTAssertTrue("\(error)".contains("decode junk.png"), "\(error)")
        }
    }
}
