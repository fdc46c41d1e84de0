/**
 * ClickHouse error types that mean "this data is refused" rather than "try again later": retrying
 * the same rows would fail forever. Everything else (network, server down, too many parts while
 * merges catch up, a full disk) is worth retrying.
 */
const DATA_ERRORS = new Set([
  'TYPE_MISMATCH',
  'INCORRECT_DATA',
  'INCORRECT_NUMBER_OF_COLUMNS',
  'CANNOT_CONVERT_TYPE',
  'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE',
  'ARGUMENT_OUT_OF_BOUND',
  'TOO_LARGE_STRING_SIZE',
  'CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN',
  // RowBinary rows that end short of their columns.
  'CANNOT_READ_ALL_DATA',
  'DECIMAL_OVERFLOW',
])

/** Whether ClickHouse refused an insert for what it carries (both its HTTP client and chdb set `type`). */
export function isDataError(err: unknown): boolean {
  const type = (err as { type?: unknown } | null)?.type
  return typeof type === 'string' && (type.startsWith('CANNOT_PARSE') || DATA_ERRORS.has(type))
}
