// The class page's uploaded labs: an instructor picks a lab folder (lab.yaml, its topology and
// step pages), the server checks it and keeps it, or lists what is wrong field by field; a kept
// one is published like a catalog lab. Below, their uploads, each deletable while unpublished.
import { useState } from 'react';
import type { ConfirmRequest } from '../ui/Confirm.tsx';
import { classroomApi, type UploadedLab } from './classroom-api.ts';
import { Field, FormMessage } from './Field.tsx';
import { formError } from './form-error.ts';
import { MAX_UPLOAD_BYTES, planFolder, uploadIssues, type FolderPlan, type UploadIssue } from './lab-upload.ts';

interface Picked extends FolderPlan {
  files: File[];
}

export function LabUpload({ onUploaded, onCancel }: { onUploaded(u: UploadedLab): void; onCancel(): void }) {
  const [picked, setPicked] = useState<Picked | null>(null);
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ field: string | null; message: string } | null>(null);
  const [issues, setIssues] = useState<UploadIssue[]>([]);
  const pick = (list: FileList | null) => {
    setError(null);
    setIssues([]);
    const files = Array.from(list ?? []);
    if (files.length === 0) return setPicked(null);
    const plan = planFolder(files.map((f) => ({ path: f.webkitRelativePath || f.name, size: f.size })));
    setPicked({ ...plan, files });
    setName(plan.name);
  };
  const tooBig = picked !== null && picked.bytes > MAX_UPLOAD_BYTES;
  const submit = async () => {
    if (!picked || tooBig) return;
    setBusy(true);
    setError(null);
    setIssues([]);
    try {
      const files: Record<string, string> = {};
      for (const k of picked.keep) files[k.path] = await picked.files[k.index]!.text();
      onUploaded(await classroomApi.uploadLab({ name, files }));
    } catch (e) {
      setIssues(uploadIssues(e));
      setError(formError(e, ['name']));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      className="cr-publish cr-upload"
      aria-label="Upload a lab folder"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <div className="field cr-field">
        <label htmlFor="upload-folder">Lab folder</label>
        {/* webkitdirectory: the browser picks a whole folder and gives each file its path in it. */}
        <input id="upload-folder" type="file" multiple {...{ webkitdirectory: '', directory: '' }} onChange={(e) => pick(e.target.files)} />
        <div className="cr-hint">
          {picked
            ? `${picked.keep.length} file${picked.keep.length === 1 ? '' : 's'}, ${Math.ceil(picked.bytes / 1024)} KiB${picked.skipped.length ? `; hidden files left out: ${picked.skipped.join(', ')}` : ''}`
            : 'A folder with lab.yaml at its top, its topology and step pages (text, at most 1 MiB).'}
        </div>
        {tooBig && (
          <div className="field-hint cr-field-error" role="alert">
            The folder has {Math.ceil(picked.bytes / 1024)} KiB; a lab folder is at most {MAX_UPLOAD_BYTES / 1024} KiB.
          </div>
        )}
      </div>
      <Field label="Name" name="name" value={name} onChange={setName} error={error?.field === 'name' ? error.message : null} maxLength={24} hint="Part of the lab's id" />
      <button type="submit" className="primary" disabled={busy || !picked || tooBig || !name}>
        {busy ? 'Uploading…' : 'Upload'}
      </button>
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
      {/* The server's list, field by field, says it all: its one-line summary would repeat it. */}
      {error && error.field === null && issues.length === 0 && <FormMessage message={error.message} />}
      {issues.length > 0 && (
        <div className="cr-issues" role="alert">
          <strong>
            {issues.length} problem{issues.length === 1 ? '' : 's'} in the lab folder; nothing was kept:
          </strong>
          <ul aria-label="Problems in the lab folder">
            {issues.map((i, k) => (
              <li key={k} data-field={i.field} data-rule={i.rule}>
                <code>{i.field}</code> {i.message}
              </li>
            ))}
          </ul>
        </div>
      )}
    </form>
  );
}

export function UploadedLabs({ uploads, onChanged, onPublish, confirm }: { uploads: UploadedLab[]; onChanged(): void; onPublish(id: string): void; confirm(r: ConfirmRequest): void }) {
  const [error, setError] = useState<string | null>(null);
  if (uploads.length === 0) return null;
  return (
    <div className="cr-uploads">
      <h3>Uploaded labs</h3>
      <FormMessage message={error} />
      <ul>
        {uploads.map((u) => (
          <li key={u.id} data-upload={u.id}>
            <div className="cr-upload-name">
              <strong>{u.title}</strong>
              <div className="muted small-text mono">{u.id}</div>
            </div>
            <div className="row-actions">
              <button type="button" className="small" onClick={() => onPublish(u.id)}>
                Publish
              </button>
              <button
                type="button"
                className="small danger"
                disabled={u.assignments.length > 0}
                title={u.assignments.length > 0 ? 'Published: delete its assignments first' : undefined}
                onClick={() =>
                  confirm({
                    title: `Delete the uploaded lab ${u.title}?`,
                    body: 'Its files are removed from the server. It can be uploaded again.',
                    confirm: 'Delete upload',
                    danger: true,
                    onConfirm: () => void classroomApi.deleteUpload(u.id).then(() => (setError(null), onChanged()), (e) => setError(formError(e, []).message)),
                  })
                }
              >
                Delete
              </button>
            </div>
          </li>
        ))}
      </ul>
    </div>
  );
}
