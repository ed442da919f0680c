import Testing
@testable import Imaging
@Test func imageLibrariesReportVersions() {
    #expect(ImageLibraries.openCV.hasPrefix("4."))
    #expect(ImageLibraries.libjpegTurbo.hasPrefix("2."))
}
