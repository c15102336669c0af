/** The library's public shapes: what the main process hands to the UI (over IPC). */

export type ProjectSort = 'updated' | 'created' | 'name';

export interface Project {
  id: number;
  name: string;
  tags: string[];
  created: number; // ms since epoch
  updated: number;
  opened: number | null;
  favorite: boolean;
  /** The selected record (the image shown when the project opens). */
  currentRecordId: number | null;
  recordCount: number;
  /** Set while the project sits in the bin (soft-deleted, restorable). */
  deletedAt: number | null;
}

export interface ProjectQuery {
  /** Substring of the name, case-insensitive. */
  name?: string;
  /** Projects holding a record of this class: an id, or a class name (case-insensitive, exact). */
  classId?: number;
  className?: string;
  /** Projects with this tag (case-insensitive, exact). */
  tag?: string;
  /** Projects holding a record with this seed. */
  seed?: number;
  favoritesOnly?: boolean;
  /** 'live' (default), 'deleted' (the bin) or 'all'. */
  state?: 'live' | 'deleted' | 'all';
  sort?: ProjectSort;
  /** Default: descending for dates, ascending for names. */
  descending?: boolean;
  limit?: number;
  offset?: number;
}

/** A record without its VGS and image: enough to draw the history tree. */
export interface RecordSummary {
  id: number;
  projectId: number;
  parentId: number | null;
  classId: number;
  className: string | null;
  seed: number;
  packName: string;
  packSha256: string;
  created: number;
  width: number;
  height: number;
  favorite: boolean;
}

export interface NewProject {
  name: string;
  tags?: string[];
  thumbnail?: Uint8Array | null;
}

export interface RecordOptions {
  /** The class's name in the pack (search, display, A1111 text). */
  className?: string | null;
  /** Make the new record the project's current selection (default true: autosave follows the user). */
  select?: boolean;
  /** Project thumbnail to store with it; default: the image itself when it is at most 128 px, else unchanged. */
  thumbnail?: Uint8Array | null;
}
