import CImage

/// Versions of the image libraries linked in.
public enum ImageLibraries {
    public static var openCV: String { String(cString: ci_opencv_version()) }
    public static var libjpegTurbo: String {
        let v = Int(ci_libjpeg_turbo_version())
        return "\(v / 1_000_000).\(v / 1000 % 1000).\(v % 1000)"
    }
}

extension ImageLibraries {
    /// OpenCV's internal thread pool size (cv::setNumThreads); 1 inside loader workers.
    public static func setOpenCVThreads(_ n: Int) { ci_set_opencv_threads(Int32(n)) }
}
