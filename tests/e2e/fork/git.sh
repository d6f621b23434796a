# git from the host root (issue 8): init, add, commit, log, diff, status, branch,
# checkout, merge and a local clone, in the run's fresh cwd. Names, dates and the
# configuration are fixed so that commit ids, and so every line, are the same on
# each run. git runs helpers (and the clone an upload-pack) in processes of its own.
set -e
export GIT_AUTHOR_NAME='A U Thor' GIT_AUTHOR_EMAIL='author@example.com' GIT_AUTHOR_DATE='2024-01-02T03:04:05+0000'
export GIT_COMMITTER_NAME='C O Mitter' GIT_COMMITTER_EMAIL='committer@example.com' GIT_COMMITTER_DATE='2024-01-02T03:04:05+0000'
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null HOME=$PWD GIT_PAGER=cat PAGER=cat LC_ALL=C TZ=UTC

echo "== init, add, commit"
git init -q -b main repo
cd repo
printf 'line one\nline two\n' > a.txt
mkdir sub && printf 'inside\n' > sub/b.txt
git add a.txt sub
git status --short
git commit -q -m 'first commit'
git log --format='%H %an <%ae> %ad %s' --date=iso-strict
echo "== diff, status"
printf 'line one\nline 2\nline three\n' > a.txt
echo untracked > new.txt
git diff
git diff --stat
git status
git commit -q -am 'second commit'
git status --short
echo "== branch, checkout, merge"
git branch feature
git checkout -q feature
printf 'a feature\n' > feature.txt
git add feature.txt
GIT_AUTHOR_DATE='2024-01-03T00:00:00+0000' GIT_COMMITTER_DATE='2024-01-03T00:00:00+0000' git commit -q -m 'add a feature'
git branch --list
git checkout -q main
ls
git merge -q --ff-only feature
git log --oneline --graph --all
git show --stat --format='%h %s' HEAD
git rev-list --count HEAD
echo "== clone"
cd ..
git clone -q repo copy
cd copy
git log --oneline
git status -sb
git branch -a
cat feature.txt
git fsck --no-progress 2>&1 && echo "fsck ok"
echo "== end"
