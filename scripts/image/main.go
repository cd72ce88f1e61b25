// Command confab-image assembles Confab's container image as an OCI image layout without a
// container daemon or registry (go-containerregistry), and unpacks one for tests:
//
//	confab-image build --out DIR --binary PATH --web DIR --admin DIR --config FILE [--file HOST:IMAGE]… [--label K=V]… [--tag T]
//	confab-image unpack --layout DIR --rootfs DIR   (prints the image's config as JSON)
//
// The image has no base: its first layer holds what the binary needs at run time (the shared
// libraries `ldd` names, given with --file, CA certificates, /etc/passwd with the confab user,
// writable /data and /tmp), the second the binary and the built web chat and admin console.
// Files are owned by root and read-only to the user, except /data (uid 10001); timestamps come
// from --created, so the same inputs give the same digest.
package main

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

const (
	uid     = 10001
	dataDir = "/data"
)

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	if len(os.Args) < 2 {
		die("usage: confab-image build|unpack …")
	}
	var err error
	switch os.Args[1] {
	case "build":
		err = build(os.Args[2:])
	case "unpack":
		err = unpack(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q (build or unpack)", os.Args[1])
	}
	if err != nil {
		die(err.Error())
	}
}

func die(msg string) {
	fmt.Fprintln(os.Stderr, "confab-image:", msg)
	os.Exit(1)
}

// layerWriter writes a deterministic tar: parent directories first, each once.
type layerWriter struct {
	tw   *tar.Writer
	buf  bytes.Buffer
	dirs map[string]bool
	when time.Time
}

func newLayer(when time.Time) *layerWriter {
	l := &layerWriter{dirs: map[string]bool{}, when: when}
	l.tw = tar.NewWriter(&l.buf)
	return l
}

func (l *layerWriter) dir(name string, mode int64, owner int) error {
	name = strings.TrimPrefix(path.Clean(name), "/")
	if name == "" || name == "." || l.dirs[name] {
		return nil
	}
	if err := l.dir(path.Dir(name), 0o755, 0); err != nil {
		return err
	}
	l.dirs[name] = true
	return l.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: mode, Uid: owner, Gid: owner, ModTime: l.when, Format: tar.FormatPAX})
}

func (l *layerWriter) file(name string, mode int64, data []byte) error {
	name = strings.TrimPrefix(path.Clean(name), "/")
	if err := l.dir(path.Dir(name), 0o755, 0); err != nil {
		return err
	}
	if err := l.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(data)), ModTime: l.when, Format: tar.FormatPAX}); err != nil {
		return err
	}
	_, err := l.tw.Write(data)
	return err
}

// hostFile copies a file of this machine (following symbolic links) to `name` in the layer.
func (l *layerWriter) hostFile(host, name string) error {
	data, err := os.ReadFile(host)
	if err != nil {
		return err
	}
	info, err := os.Stat(host)
	if err != nil {
		return err
	}
	mode := int64(0o644)
	if info.Mode()&0o111 != 0 {
		mode = 0o755
	}
	return l.file(name, mode, data)
}

// tree copies a directory of this machine to `under` in the layer, in name order.
func (l *layerWriter) tree(host, under string) error {
	var files []string
	err := filepath.WalkDir(host, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("%s is empty", host)
	}
	sort.Strings(files)
	for _, f := range files {
		rel, _ := filepath.Rel(host, f)
		if err := l.hostFile(f, path.Join(under, filepath.ToSlash(rel))); err != nil {
			return err
		}
	}
	return nil
}

func (l *layerWriter) layer() (v1.Layer, error) {
	if err := l.tw.Close(); err != nil {
		return nil, err
	}
	data := l.buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithMediaType(types.OCILayer))
}

func build(args []string) error {
	fl := flag.NewFlagSet("build", flag.ExitOnError)
	out := fl.String("out", "", "the OCI image layout directory to write (replaced)")
	binary := fl.String("binary", "", "the confab binary")
	web := fl.String("web", "", "the built web chat (web/dist)")
	admin := fl.String("admin", "", "the built admin console (admin/dist)")
	config := fl.String("config", "", "the image's default confab.toml")
	certs := fl.String("ca-certificates", "/etc/ssl/certs/ca-certificates.crt", "CA certificate bundle")
	tag := fl.String("tag", "confab:dev", "the image's reference name in the layout")
	created := fl.String("created", "0", "creation time, Unix seconds (SOURCE_DATE_EPOCH)")
	var files, labels multi
	fl.Var(&files, "file", "HOST_PATH[:IMAGE_PATH] to copy into the image (shared libraries); repeatable")
	fl.Var(&labels, "label", "KEY=VALUE image label; repeatable")
	_ = fl.Parse(args)
	if *out == "" || *binary == "" || *web == "" || *admin == "" || *config == "" {
		return errors.New("build needs --out, --binary, --web, --admin and --config")
	}
	secs, err := strconv.ParseInt(*created, 10, 64)
	if err != nil {
		return fmt.Errorf("--created: %v", err)
	}
	when := time.Unix(secs, 0).UTC()

	// Layer 1: the runtime the binary needs, and the user it runs as.
	base := newLayer(when)
	for _, f := range files {
		host, image, found := strings.Cut(f, ":")
		if !found {
			image = host
		}
		if err := base.hostFile(host, image); err != nil {
			return err
		}
	}
	steps := []func() error{
		func() error { return base.hostFile(*certs, "/etc/ssl/certs/ca-certificates.crt") },
		func() error {
			return base.file("/etc/passwd", 0o644, []byte(fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\nconfab:x:%d:%d:Confab:%s:/sbin/nologin\n", uid, uid, dataDir)))
		},
		func() error { return base.file("/etc/group", 0o644, []byte(fmt.Sprintf("root:x:0:\nconfab:x:%d:\n", uid))) },
		func() error { return base.hostFile(*config, "/etc/confab/confab.toml") },
		func() error { return base.dir("/tmp", 0o1777, 0) },
		func() error { return base.dir(dataDir, 0o750, uid) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	// Layer 2: Confab.
	app := newLayer(when)
	if err := app.hostFile(*binary, "/usr/local/bin/confab"); err != nil {
		return err
	}
	if err := app.tree(*web, "/usr/share/confab/web"); err != nil {
		return fmt.Errorf("--web: %v", err)
	}
	if err := app.tree(*admin, "/usr/share/confab/admin"); err != nil {
		return fmt.Errorf("--admin: %v", err)
	}
	var layers []v1.Layer
	for _, l := range []*layerWriter{base, app} {
		layer, err := l.layer()
		if err != nil {
			return err
		}
		layers = append(layers, layer)
	}

	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.AppendLayers(img, layers...)
	if err != nil {
		return err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = "amd64", "linux"
	cf.Created = v1.Time{Time: when}
	cf.Config.User = fmt.Sprintf("%d:%d", uid, uid)
	cf.Config.Entrypoint = []string{"/usr/local/bin/confab"}
	cf.Config.Cmd = []string{"serve"}
	cf.Config.WorkingDir = dataDir
	cf.Config.Env = []string{
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"CONFAB_CONFIG=/etc/confab/confab.toml",
		"SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
	}
	cf.Config.Volumes = map[string]struct{}{dataDir: {}}
	cf.Config.ExposedPorts = map[string]struct{}{"8080/tcp": {}, "8081/tcp": {}}
	cf.Config.Labels = map[string]string{}
	for _, kv := range labels {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("--label %q is not KEY=VALUE", kv)
		}
		cf.Config.Labels[k] = v
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return err
	}
	img = mutate.Annotations(img, cf.Config.Labels).(v1.Image)

	if err := os.RemoveAll(*out); err != nil {
		return err
	}
	p, err := layout.Write(*out, empty.Index)
	if err != nil {
		return err
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": *tag})); err != nil {
		return err
	}
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	fmt.Printf("%s %s\n", *tag, digest)
	return nil
}

func unpack(args []string) error {
	fl := flag.NewFlagSet("unpack", flag.ExitOnError)
	dir := fl.String("layout", "", "an OCI image layout with one image")
	rootfs := fl.String("rootfs", "", "where to unpack the image's files (must not exist)")
	_ = fl.Parse(args)
	if *dir == "" || *rootfs == "" {
		return errors.New("unpack needs --layout and --rootfs")
	}
	p, err := layout.FromPath(*dir)
	if err != nil {
		return err
	}
	idx, err := p.ImageIndex()
	if err != nil {
		return err
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	if len(m.Manifests) != 1 {
		return fmt.Errorf("%s holds %d images, want 1", *dir, len(m.Manifests))
	}
	img, err := idx.Image(m.Manifests[0].Digest)
	if err != nil {
		return err
	}
	if err := os.Mkdir(*rootfs, 0o755); err != nil {
		return err
	}
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	asRoot := os.Geteuid() == 0
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		name := filepath.Clean("/" + h.Name)
		target := filepath.Join(*rootfs, name)
		mode := os.FileMode(h.Mode).Perm()
		if h.Mode&0o1000 != 0 {
			mode |= os.ModeSticky
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(target, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
			if err != nil {
				return err
			}
			if _, err := io.Copy(f, tr); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s: unexpected entry type %c", h.Name, h.Typeflag)
		}
		if err := os.Chmod(target, mode); err != nil {
			return err
		}
		if asRoot {
			if err := os.Lchown(target, h.Uid, h.Gid); err != nil {
				return err
			}
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(cf)
}
