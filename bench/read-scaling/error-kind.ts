/**
 * The name under which a failed read is counted: the error's class name and its code (pg's
 * SQLSTATE, mysql2's / Node's error code), or a short message for a bare Error without code.
 */
export function errorKind(err: unknown): string {
  if (!(err instanceof Error)) return String(err).slice(0, 60);
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') return `${err.name} ${String(code)}`;
  return err.name === 'Error' ? `Error: ${err.message.slice(0, 60)}` : err.name;
}
