"""CSV and Excel exports (Chinese headers; Excel laid out for printing): the monthly report,
the fault log and the violation review list."""

from host.exports.logs import fault_log_csv, fault_log_xlsx, violations_csv, violations_xlsx
from host.exports.report import month_deductions_csv, month_report_csv, month_report_xlsx

__all__ = ["fault_log_csv", "fault_log_xlsx", "month_deductions_csv", "month_report_csv", "month_report_xlsx",
           "violations_csv", "violations_xlsx"]
