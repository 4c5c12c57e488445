import PoseData
import Render
import XCTest

final class SkeletonPictureTests: XCTestCase {
    /// A standing figure in a 256x256 crop (MPII order), every joint visible.
    let joints: [(x: Double, y: Double)] = [
        (100, 230), (104, 180), (108, 130), (148, 130), (152, 180), (156, 230), (128, 130), (128, 70),
        (128, 60), (128, 20), (80, 140), (86, 105), (100, 72), (156, 72), (170, 105), (176, 140),
    ]

    func testSidesComeFromJointNames() {
        XCTAssertEqual(BodySide(jointName: "r_ankle"), .right)
        XCTAssertEqual(BodySide(jointName: "l_wrist"), .left)
        XCTAssertEqual(BodySide(jointName: "pelvis"), .centre)
        XCTAssertNotEqual(BodySide.left.colour, BodySide.right.colour)
    }

    func testLimbsAreColouredBySideAndInvisibleJointsAreLeftOut() throws {
        var visible = [Bool](repeating: true, count: 16)
        visible[15] = false  // l_wrist: its limb to l_elbow must not be drawn
        let pose = PoseView(crop: Canvas(width: 256, height: 256, fill: .black), joints: joints, visible: visible,
                            flipped: true, label: "#3")
        let picture = try SkeletonPicture(size: 256, columns: 4).draw([pose])
        XCTAssertEqual(picture.width, 256)
        XCTAssertEqual(picture.height, 256)
        // Mid-shin, right leg (joint 0 → parent 1) and left leg (5 → 4); spine (7 → 6).
        XCTAssertEqual(picture[102, 205], BodySide.right.colour)
        XCTAssertEqual(picture[154, 205], BodySide.left.colour)
        XCTAssertEqual(picture[128, 100], BodySide.centre.colour)
        // The left forearm (l_elbow → invisible l_wrist) is absent: the crop stays black there.
        XCTAssertEqual(picture[173, 125], .black)
        // The right forearm (r_wrist visible) is drawn.
        XCTAssertEqual(picture[83, 123], BodySide.right.colour)
        // "flipped" is noted in the top-right corner on a yellow box.
        XCTAssertEqual(picture[250, 4], RGB(255, 215, 0))
    }

    func testPosesAreLaidOutInColumns() throws {
        let pose = PoseView(crop: Canvas(width: 192, height: 256), joints: joints,
                            visible: [Bool](repeating: true, count: 16), flipped: false, label: "#0")
        let picture = try SkeletonPicture(size: 128, columns: 2).draw([pose, pose, pose])
        XCTAssertEqual(picture.width, 2 * 96 + 4)
        XCTAssertEqual(picture.height, 2 * 128 + 4)
        XCTAssertEqual(picture[96 + 4 + 48, 128 + 4 + 64], .white, "the empty fourth cell stays background")
    }
}
