/** Why a site directory could not be served. */
export type SiteErrorCode =
  | 'SITE_NOT_FOUND' // the directory does not exist or is not a directory
  | 'CONFIG_INVALID' // netlify.toml does not parse, or a value has the wrong type
  | 'ENV_FILE_INVALID'; // a .env file could not be read

/** A typed error from resolving a site; the CLI prints its message as one line. */
export class SiteError extends Error {
  readonly code: SiteErrorCode;

  constructor(code: SiteErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SiteError';
    this.code = code;
  }
}
