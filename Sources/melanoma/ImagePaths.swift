import ArgumentParser
import Foundation

/// Image paths the user gave: files as they are, folders as their .jpg/.jpeg/.png files sorted by name.
/// (Formats are told by content when decoding; the extension only picks files out of a folder.)
enum ImagePaths {
    static let extensions: Set<String> = ["jpg", "jpeg", "png"]

    static func expand(_ roots: [String]) throws -> [String] {
        var files: [String] = []
        for root in roots {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root, isDirectory: &isDir) else {
                throw ValidationError("\(root): no such file or folder")
            }
            if isDir.boolValue {
                let names = try FileManager.default.contentsOfDirectory(atPath: root)
                    .filter { extensions.contains(($0 as NSString).pathExtension.lowercased()) }
                files += names.sorted().map { (root as NSString).appendingPathComponent($0) }
            } else {
                files.append(root)
            }
        }
        guard !files.isEmpty else { throw ValidationError("no .jpg/.jpeg/.png images in \(roots.joined(separator: ", "))") }
        return files
    }
}
