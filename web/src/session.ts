// The session token lives in localStorage so a reload keeps the user signed in.

const TOKEN_KEY = "circles.token";
const RESUME_KEY = "circles.resume";

export function getToken(): string | null {
  return localStorage.getItem(TOKEN_KEY);
}

export function setToken(token: string): void {
  localStorage.setItem(TOKEN_KEY, token);
}

export function clearToken(): void {
  localStorage.removeItem(TOKEN_KEY);
}

/** A route (e.g. an invite link) to open once the user has signed in. */
export function setResumeRoute(hash: string): void {
  sessionStorage.setItem(RESUME_KEY, hash);
}

export function takeResumeRoute(): string | null {
  const hash = sessionStorage.getItem(RESUME_KEY);
  sessionStorage.removeItem(RESUME_KEY);
  return hash;
}

/** The route to open after signing in, left in place (e.g. to show which circle invited you). */
export function peekResumeRoute(): string | null {
  return sessionStorage.getItem(RESUME_KEY);
}
