// A node:test reporter that writes one JSON line per finished test (name, nesting, pass or
// fail, duration, error text), for the host-side rxe test to turn into its own subtests.
export default async function* jsonLines(source) {
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { name, nesting, file, details, skip, todo } = event.data;
    const error = details?.error;
    const cause = error?.cause ?? error;
    yield `${JSON.stringify({
      name,
      nesting,
      file,
      ok: event.type === 'test:pass',
      skip: skip !== undefined && skip !== false,
      todo: todo !== undefined && todo !== false,
      durationMs: details?.duration_ms,
      error: error ? String(cause?.stack ?? cause?.message ?? cause) : undefined,
    })}\n`;
  }
}
