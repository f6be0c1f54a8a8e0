package generator

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// Write makes the disk match files: it writes each file whose content
// differs (through a temporary file and a rename, so readers never see half
// a file), except an Empty file that does not exist, and removes each file
// whose Content is nil.
func Write(files []File) error {
	for _, f := range files {
		if f.Content == nil {
			if err := os.Remove(f.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			continue
		}
		old, err := os.ReadFile(f.Path)
		if err == nil && bytes.Equal(old, f.Content) || f.Empty && errors.Is(err, fs.ErrNotExist) {
			continue
		}
		tmp, err := os.CreateTemp(filepath.Dir(f.Path), ".throttlegen-*")
		if err != nil {
			return err
		}
		_, werr := tmp.Write(f.Content)
		cerr := tmp.Close()
		if err := errors.Join(werr, cerr, os.Chmod(tmp.Name(), 0o644)); err != nil {
			os.Remove(tmp.Name())
			return err
		}
		if err := os.Rename(tmp.Name(), f.Path); err != nil {
			os.Remove(tmp.Name())
			return err
		}
	}
	return nil
}

// Status is the state of one generated file on disk, as -check reports it.
type Status uint8

// The states of a generated file.
const (
	UpToDate Status = iota // the file on disk is what Generate produced
	Stale                  // the file exists with other content
	Missing                // the file should exist and does not
	LeftOver               // the file holds wrappers and should not (no directive is left for them)
)

func (s Status) String() string {
	switch s {
	case Stale:
		return "stale"
	case Missing:
		return "missing"
	case LeftOver:
		return "left over"
	}
	return "up to date"
}

// Check compares files with the disk without changing it.
func Check(files []File) (map[string]Status, error) {
	out := make(map[string]Status, len(files))
	for _, f := range files {
		old, err := os.ReadFile(f.Path)
		exists := err == nil
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		switch {
		case f.Empty && exists && !bytes.Equal(old, f.Content):
			out[f.Path] = LeftOver
		case f.Empty:
			out[f.Path] = UpToDate
		case f.Content == nil && exists:
			out[f.Path] = LeftOver
		case f.Content == nil:
			out[f.Path] = UpToDate
		case !exists:
			out[f.Path] = Missing
		case !bytes.Equal(old, f.Content):
			out[f.Path] = Stale
		default:
			out[f.Path] = UpToDate
		}
	}
	return out, nil
}
