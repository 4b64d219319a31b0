// Numbers as the page shows them: 12 significant digits (trailing zeros dropped) in
// the cell, the exact shortest round-trip form in its title (hover).

export function formatNumber(value, digits = 12) {
  if (value === null || value === undefined) return "—";
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return "0";
  const abs = Math.abs(value);
  if (abs >= 1e-4 && abs < 1e9) {
    return String(Number(value.toPrecision(digits)));
  }
  return value.toExponential(digits - 1).replace(/\.?0+e/, "e");
}

/** Put a number in an element: rounded text, exact value in title and data-value. */
export function showNumber(element, value, digits = 12) {
  element.textContent = formatNumber(value, digits);
  const exact = value === null || value === undefined ? "" : String(value);
  element.title = exact;
  element.dataset.value = exact;
}

/** A number from an input box, or null (and the box marked) when it is not one. */
export function readNumber(input, { positive = false, integer = false } = {}) {
  const text = input.value.trim();
  const value = Number(text);
  const bad = text === "" || !Number.isFinite(value) || (positive && value <= 0) ||
    (integer && !Number.isInteger(value));
  input.classList.toggle("invalid", bad);
  return bad ? null : value;
}

/** The status word of a fastgd run shown step by step. */
export function statusWord(status, finished) {
  if (status === "max_iter" && !finished) return "running";
  return status;
}
