//! Language packages installed in images: the collectors over fixture trees stacked as
//! layers, and the Go analyser over executables the Go toolchain builds here.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::Command;

use customs::image::fs::{Collector, Context, ImageFs, InlineAnalyzer, LayerFiles};
use customs::image::lang::gobin::GoBinaries;
use customs::image::lang::node::NodeModules;
use customs::image::lang::python::PythonPackages;
use customs::model::Package;

const LOWER: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const UPPER: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

/// The files of a fixture tree that `collector` wants, as one layer.
fn layer_from_tree(tree: &Path, digest: &str, collector: &dyn Collector) -> LayerFiles {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, root, out);
            } else {
                let relative = path.strip_prefix(root).unwrap().to_str().unwrap().replace('\\', "/");
                out.push((relative, std::fs::read(&path).unwrap()));
            }
        }
    }
    let mut files = Vec::new();
    walk(tree, tree, &mut files);
    LayerFiles {
        digest: digest.into(),
        files: files.into_iter().filter(|(path, _)| collector.wants(path)).collect(),
        ..LayerFiles::default()
    }
}

/// `ecosystem|name|version|purl|path:line|layer`, the layer shortened to its first digits.
fn listing(packages: &[Package]) -> Vec<String> {
    packages
        .iter()
        .map(|p| {
            let line = p.location.line.map_or("-".to_string(), |l| l.to_string());
            let layer = p.location.layer.as_deref().map_or("-", |l| &l[..11]);
            format!("{}|{}|{}|{}|{}:{line}|{layer}", p.ecosystem, p.name, p.version, p.purl, p.location.path)
        })
        .collect()
}

#[test]
fn python_distributions_across_layers() {
    let tree = common::fixtures().join("image/lang/python");
    let lower = layer_from_tree(&tree, LOWER, &PythonPackages);
    assert_eq!(
        lower.files.keys().collect::<Vec<_>>(),
        [
            "srv/app/myproject.egg-info/PKG-INFO",
            "usr/lib/python3/dist-packages/chardet-5.1.0.egg-info/PKG-INFO",
            "usr/lib/python3/dist-packages/python_apt-2.6.0.egg-info",
            "usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA",
            "usr/local/lib/python3.11/site-packages/half_installed-1.0.dist-info/METADATA",
            "usr/local/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA",
        ]
    );
    // The next layer upgrades requests (pip removes the old dist-info) and uninstalls six.
    let site = "usr/local/lib/python3.11/site-packages";
    let mut upper = LayerFiles { digest: UPPER.into(), ..LayerFiles::default() };
    upper.whiteouts.push(format!("{site}/requests-2.31.0.dist-info"));
    upper.whiteouts.push("usr/lib/python3/dist-packages/six-1.16.0.dist-info".into());
    upper.files.insert(
        format!("{site}/requests-2.32.3.dist-info/METADATA"),
        b"Metadata-Version: 2.1\nName: requests\nVersion: 2.32.3\n".to_vec(),
    );

    let fs = ImageFs::merge(std::slice::from_ref(&lower));
    assert_eq!(
        listing(&PythonPackages.collect(&fs, &Context::default()).unwrap()),
        [
            "PyPI|myproject|0.4.0.dev0|pkg:pypi/myproject@0.4.0.dev0|/srv/app/myproject.egg-info/PKG-INFO:2|sha256:1111",
            "PyPI|chardet|5.1.0|pkg:pypi/chardet@5.1.0|/usr/lib/python3/dist-packages/chardet-5.1.0.egg-info/PKG-INFO:2|sha256:1111",
            "PyPI|python-apt|2.6.0|pkg:pypi/python-apt@2.6.0|/usr/lib/python3/dist-packages/python_apt-2.6.0.egg-info:2|sha256:1111",
            "PyPI|six|1.16.0|pkg:pypi/six@1.16.0|/usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA:2|sha256:1111",
            "PyPI|requests|2.31.0|pkg:pypi/requests@2.31.0|/usr/local/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA:2|sha256:1111",
        ]
    );
    let fs = ImageFs::merge(&[lower, upper]);
    assert_eq!(
        listing(&PythonPackages.collect(&fs, &Context::default()).unwrap()),
        [
            "PyPI|myproject|0.4.0.dev0|pkg:pypi/myproject@0.4.0.dev0|/srv/app/myproject.egg-info/PKG-INFO:2|sha256:1111",
            "PyPI|chardet|5.1.0|pkg:pypi/chardet@5.1.0|/usr/lib/python3/dist-packages/chardet-5.1.0.egg-info/PKG-INFO:2|sha256:1111",
            "PyPI|python-apt|2.6.0|pkg:pypi/python-apt@2.6.0|/usr/lib/python3/dist-packages/python_apt-2.6.0.egg-info:2|sha256:1111",
            "PyPI|requests|2.32.3|pkg:pypi/requests@2.32.3|/usr/local/lib/python3.11/site-packages/requests-2.32.3.dist-info/METADATA:2|sha256:2222",
        ]
    );
}

#[test]
fn node_modules_local_and_global() {
    let tree = common::fixtures().join("image/lang/node");
    let mut layer = layer_from_tree(&tree, LOWER, &NodeModules);
    // pnpm and workspaces link packages: a link is not a second install.
    layer.symlinks.insert("app/node_modules/express-alias".into(), "express".into());
    let fs = ImageFs::merge(&[layer]);
    assert_eq!(
        listing(&NodeModules.collect(&fs, &Context::default()).unwrap()),
        [
            "npm|@babel/core|7.23.3|pkg:npm/%40babel/core@7.23.3|/app/node_modules/@babel/core/package.json:2|sha256:1111",
            "npm|debug|2.6.9|pkg:npm/debug@2.6.9|/app/node_modules/express/node_modules/debug/package.json:7|sha256:1111",
            "npm|express|4.18.2|pkg:npm/express@4.18.2|/app/node_modules/express/package.json:2|sha256:1111",
            "npm|semver|7.5.4|pkg:npm/semver@7.5.4|/usr/local/lib/node_modules/npm/node_modules/semver/package.json:2|sha256:1111",
            "npm|npm|10.2.4|pkg:npm/npm@10.2.4|/usr/local/lib/node_modules/npm/package.json:3|sha256:1111",
        ]
    );
}

/// Writes a module into a file-system module proxy (`GOPROXY=file://…`), the layout
/// `go` downloads from: `<path>/@v/list`, `.info`, `.mod` and `.zip`.
fn publish_module(proxy: &Path, path: &str, version: &str, go_mod: &str, files: &[(&str, &str)]) {
    let dir = proxy.join(path).join("@v");
    std::fs::create_dir_all(&dir).unwrap();
    let mut list = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("list")).unwrap();
    writeln!(list, "{version}").unwrap();
    std::fs::write(
        dir.join(format!("{version}.info")),
        format!(r#"{{"Version":"{version}","Time":"2023-01-01T00:00:00Z"}}"#),
    )
    .unwrap();
    std::fs::write(dir.join(format!("{version}.mod")), go_mod).unwrap();
    let mut zip = zip::ZipWriter::new(std::fs::File::create(dir.join(format!("{version}.zip"))).unwrap());
    let options = zip::write::SimpleFileOptions::default();
    for (name, content) in [("go.mod", go_mod)].iter().chain(files) {
        zip.start_file(format!("{path}@{version}/{name}"), options).unwrap();
        zip.write_all(content.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
}

/// `go` with every download served by the local proxy and every cache inside `work`.
fn go(work: &Path, dir: &Path, args: &[&str]) {
    let output = common::tools::output(
        Command::new("go")
            .args(args)
            .current_dir(dir)
            .env("GOPROXY", format!("file://{}", work.join("proxy").display()))
            .env("GOSUMDB", "off")
            .env("GOFLAGS", "-mod=mod -modcacherw")
            .env("GOMODCACHE", work.join("modcache"))
            .env("GOPATH", work.join("gopath"))
            .env("GOBIN", work.join("bin"))
            .env("GOTOOLCHAIN", "local")
            .env("GOWORK", "off")
            .env("CGO_ENABLED", "0"),
    );
    assert!(output.status.success(), "go {args:?}: {}", String::from_utf8_lossy(&output.stderr));
}

fn go_packages(binary: &Path) -> Vec<String> {
    let content = std::fs::read(binary).unwrap();
    let path = binary.to_str().unwrap().trim_start_matches('/');
    let metadata = std::fs::metadata(binary).unwrap();
    assert!(GoBinaries.wants(path, 0o755, metadata.len()));
    listing(&GoBinaries.analyze(path, &content).unwrap())
        .into_iter()
        .map(|line| line.replace(&format!("/{path}"), "BIN"))
        .collect()
}

#[test]
fn go_binaries_built_by_the_toolchain() {
    let work = tempfile::tempdir().unwrap();
    let work = work.path();
    let proxy = work.join("proxy");
    let greet_mod = "module example.com/greet\n\ngo 1.18\n";
    publish_module(
        &proxy,
        "example.com/greet",
        "v1.0.0",
        greet_mod,
        &[("greet.go", "package greet\n\nfunc Hello() string { return \"hello\" }\n")],
    );
    let fork_mod = "module example.com/fork\n\ngo 1.18\n";
    publish_module(
        &proxy,
        "example.com/fork",
        "v1.1.0",
        fork_mod,
        &[("old.go", "package old\n\nfunc Name() string { return \"fork\" }\n")],
    );
    let tool_mod = "module example.com/tool\n\ngo 1.18\n\nrequire example.com/greet v1.0.0\n";
    let tool_main = "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/greet\"\n)\n\nfunc main() { fmt.Println(greet.Hello()) }\n";
    publish_module(&proxy, "example.com/tool", "v1.2.0", tool_mod, &[("main.go", tool_main)]);

    // A released tool, installed from the proxy: its own module has a version.
    go(work, work, &["install", "example.com/tool@v1.2.0"]);
    let toolchain = common::tools::output(Command::new("go").args(["env", "GOVERSION"]));
    let go_version = String::from_utf8(toolchain.stdout).unwrap().trim().trim_start_matches("go").to_string();
    let stdlib = format!("Go|stdlib|{go_version}|pkg:golang/stdlib@v{go_version}|BIN:-|-");
    assert_eq!(
        go_packages(&work.join("bin/tool")),
        [
            "Go|example.com/tool|1.2.0|pkg:golang/example.com/tool@v1.2.0|BIN:-|-",
            "Go|example.com/greet|1.0.0|pkg:golang/example.com/greet@v1.0.0|BIN:-|-",
            &stdlib,
        ]
    );

    // A program built from a work tree: its own module is `(devel)`; one dependency is
    // replaced by another module, one by a local directory.
    let local = work.join("local");
    std::fs::create_dir_all(&local).unwrap();
    std::fs::write(local.join("go.mod"), "module example.com/local\n\ngo 1.18\n").unwrap();
    std::fs::write(local.join("local.go"), "package local\n\nfunc Hi() string { return \"hi\" }\n").unwrap();
    let app = work.join("app");
    std::fs::create_dir_all(&app).unwrap();
    std::fs::write(
        app.join("go.mod"),
        "module example.com/app\n\ngo 1.18\n\nrequire (\n\texample.com/greet v1.0.0\n\texample.com/local v0.3.0\n\texample.com/old v1.0.0\n)\n\nreplace example.com/local => ../local\n\nreplace example.com/old => example.com/fork v1.1.0\n",
    )
    .unwrap();
    std::fs::write(
        app.join("main.go"),
        "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/greet\"\n\t\"example.com/local\"\n\t\"example.com/old\"\n)\n\nfunc main() { fmt.Println(greet.Hello(), local.Hi(), old.Name()) }\n",
    )
    .unwrap();
    go(work, &app, &["build", "-o", "app", "."]);
    assert_eq!(
        go_packages(&app.join("app")),
        [
            "Go|example.com/greet|1.0.0|pkg:golang/example.com/greet@v1.0.0|BIN:-|-",
            "Go|example.com/fork|1.1.0|pkg:golang/example.com/fork@v1.1.0|BIN:-|-",
            &stdlib,
        ]
    );
}
