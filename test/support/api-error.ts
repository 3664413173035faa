/** Asserts the contract's error shape `{statusCode, error, message}` with the status and code. */
export function expectApiError(
  response: { status: number; body: unknown },
  status: number,
  code?: string,
): void {
  expect(response.status).toBe(status);
  expect(response.body).toEqual(
    expect.objectContaining({
      statusCode: status,
      error: code ?? expect.any(String),
      message: expect.any(String),
    }),
  );
}
