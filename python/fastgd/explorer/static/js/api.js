// The explorer's server API: POST a JSON object to /api/<name>, get JSON back.
// Every call resolves (never throws) to {ok: true, data} or {ok: false, error, field},
// so a refused request is shown next to its input and the page keeps working.

export async function api(name, body) {
  let response;
  try {
    response = await fetch(`/api/${name}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch (exc) {
    return { ok: false, error: `the server cannot be reached (${exc.message})`, field: null };
  }
  let data;
  try {
    data = await response.json();
  } catch {
    return { ok: false, error: `the server answered ${response.status} without JSON`, field: null };
  }
  if (!response.ok) {
    return { ok: false, error: data.error ?? `HTTP ${response.status}`, field: data.field ?? null };
  }
  return { ok: true, data };
}
