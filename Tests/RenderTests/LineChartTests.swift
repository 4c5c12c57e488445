import Foundation
import Render
import XCTest

final class LineChartTests: XCTestCase {
    func testSeriesAreDrawnInTheirColoursInsideThePlotArea() throws {
        let loss = Series(name: "train loss", points: (0...100).map { (Double($0), 0.002 * exp(-Double($0) / 40) + 0.0005) })
        let flat = Series(name: "flat", points: [(0, 0.0015), (100, 0.0015)])
        let chart = LineChart(title: "Loss", xLabel: "step", yLabel: "MSE", series: [loss, flat], width: 640, height: 400)
        let picture = try chart.draw()
        XCTAssertEqual(picture.width, 640)
        XCTAssertEqual(picture.height, 400)
        // The flat series runs across the middle of the plot: find its colour on a vertical scan.
        let area = chart.plotArea
        let column = (area.x0 + area.x1) / 2 - 40
        let hits = (area.y0...area.y1).filter { picture[column, $0] == RGB.series[1] }
        XCTAssertFalse(hits.isEmpty, "second series colour on the scan line")
        XCTAssertTrue((area.y0...area.y1).contains { picture[area.x0 + 3, $0] == RGB.series[0] }, "first series starts at the left edge")
        let png = try picture.encoded()
        XCTAssertEqual(try Canvas.decode(png), picture)
    }

    func testAChartWithoutFinitePointsIsAnError() {
        let chart = LineChart(title: "Accuracy", xLabel: "epoch", yLabel: "acc",
                              series: [Series(name: "acc", values: [.nan, .infinity])])
        XCTAssertThrowsError(try chart.draw()) { error in
            XCTAssertTrue("\(error)".contains("line chart 'Accuracy': no finite points"), "\(error)")
        }
    }
}
