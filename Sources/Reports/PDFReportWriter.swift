import CairoRender
import Charts
import Foundation

/// `report.pdf` (being built).
public struct PDFReportWriter: ReportWriter {
    public init() {}
    public var format: ReportFormat { .pdf }
    public func render(_ document: ReportDocument, figures: RenderedFigures) throws -> [String: Data] {
        throw ReportError("PDF output is not built yet")
    }
}
