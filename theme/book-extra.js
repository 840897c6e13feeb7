// What this book adds to mdBook's pages, in three independent parts:
//
// 1. A language picker: the same page in the other edition (/en/ <-> /zh-CN/).
// 2. Chinese labels for mdBook's own interface in the Chinese edition (mdBook
//    hard-codes them in English in its templates and scripts).
// 3. Search that understands Chinese. mdBook's index splits text only on
//    white space and '-', and its trimmer strips every non-ASCII character,
//    so a Chinese word is never found (rust-lang/mdBook issues 1081, 2052).
//    The index file keeps each section's full text, so this script rebuilds
//    the index in the browser with a tokenizer that also emits the characters
//    and two-character sequences of every CJK run. A query is tokenized the
//    same way, and the search requires all of its tokens (bool AND), so
//    "负载均衡" matches sections that contain 负载, 载均 and 均衡.
'use strict';

(function bookExtra() {
    const EDITIONS = { 'en': 'zh-CN', 'zh-CN': 'en' };
    const lang = document.documentElement.lang;

    // ---- 1. Language picker -------------------------------------------------

    function otherEditionUrl() {
        // path_to_root is defined by mdBook on every page ("" or "../" ...).
        const root = new URL(path_to_root || './', window.location.href);
        const parts = root.pathname.split('/');
        // root.pathname ends with "/<edition>/": parts = [..., edition, ""]
        const edition = parts[parts.length - 2];
        if (!(edition in EDITIONS)) {
            return null; // served without editions (plain `mdbook serve`)
        }
        parts[parts.length - 2] = EDITIONS[edition];
        const page = window.location.pathname.slice(root.pathname.length);
        return parts.join('/') + page + window.location.hash;
    }

    function addLanguagePicker() {
        const buttons = document.querySelector('#mdbook-menu-bar .right-buttons');
        if (!buttons || otherEditionUrl() === null) {
            return;
        }
        const link = document.createElement('a');
        link.id = 'book-language-picker';
        link.className = 'book-language-picker';
        link.lang = EDITIONS[lang] || 'en';
        // The label names the other edition in its own language; the
        // tooltip speaks the reader's current language.
        if (lang === 'zh-CN') {
            link.textContent = 'English';
            link.title = '阅读本页的英文版';
        } else {
            link.textContent = '中文';
            link.title = 'Read this page in Chinese';
        }
        link.setAttribute('aria-label', link.title);
        // Computed at click time so that the current #fragment is kept.
        link.href = otherEditionUrl();
        link.addEventListener('click', event => {
            event.preventDefault();
            window.location.assign(otherEditionUrl());
        });
        buttons.prepend(link);
    }

    // ---- 2. Chinese interface labels -----------------------------------------

    const ZH_LABELS = {
        'Toggle Table of Contents': '显示或隐藏目录',
        'Table of contents': '目录',
        'Change theme': '切换主题',
        'Themes': '主题',
        'Search (`/`)': '搜索（按 / 键）',
        'Toggle Searchbar': '显示或隐藏搜索栏',
        'Print this book': '打印本书',
        'Search this book ...': '搜索本书……',
        'Previous chapter': '上一章',
        'Next chapter': '下一章',
        'Page navigation': '翻页',
        'Copy to clipboard': '复制到剪贴板',
        'Copied!': '已复制！',
        'Clipboard error!': '复制失败！',
        'Show hidden lines': '显示隐藏的代码行',
        'Hide lines': '隐藏代码行',
        'Run this code': '运行这段代码',
        'Running...': '运行中……',
        'No output': '没有输出',
        'Undo changes': '撤销修改',
        'Search Result Teaser': '搜索结果摘要',
        'Auto': '自动',
        'Light': '浅色',
        'Rust': 'Rust',
        'Coal': '深灰',
        'Navy': '深蓝',
        'Ayu': 'Ayu',
        'Keyboard shortcuts': '键盘快捷键',
    };

    const ZH_HELP = [
        '按 <kbd>←</kbd> 或 <kbd>→</kbd> 在章节之间翻页',
        '按 <kbd>S</kbd> 或 <kbd>/</kbd> 搜索本书',
        '按 <kbd>?</kbd> 显示本帮助',
        '按 <kbd>Esc</kbd> 关闭本帮助',
    ];

    function translateAttributes(root) {
        for (const attr of ['title', 'aria-label', 'placeholder']) {
            for (const el of root.querySelectorAll('[' + attr + ']')) {
                const zh = ZH_LABELS[el.getAttribute(attr)];
                if (zh !== undefined) {
                    el.setAttribute(attr, zh);
                }
            }
        }
    }

    function searchMetricInChinese(text) {
        let m = text.match(/^(\d+) search results? for '(.*)':$/);
        if (m) {
            return '找到 ' + m[1] + ' 个与“' + m[2] + '”相关的结果：';
        }
        m = text.match(/^No search results for '(.*)'\.$/);
        if (m) {
            return '没有找到与“' + m[1] + '”相关的结果。';
        }
        return null;
    }

    function translateInterface() {
        translateAttributes(document);
        for (const el of document.querySelectorAll('#mdbook-theme-list button, .mdbook-help-title')) {
            const zh = ZH_LABELS[el.textContent.trim()];
            if (zh !== undefined) {
                el.textContent = zh;
            }
        }
        const help = document.querySelectorAll('#mdbook-help-popup p');
        help.forEach((p, i) => {
            if (ZH_HELP[i]) {
                p.innerHTML = ZH_HELP[i];
            }
        });
        // Labels that mdBook's scripts write later: copy buttons, tooltips,
        // the search results header and teasers.
        new MutationObserver(mutations => {
            for (const mutation of mutations) {
                const target = mutation.target;
                if (mutation.type === 'attributes') {
                    const zh = ZH_LABELS[target.getAttribute(mutation.attributeName)];
                    if (zh !== undefined) {
                        target.setAttribute(mutation.attributeName, zh);
                    }
                    continue;
                }
                if (target.id === 'mdbook-searchresults-header') {
                    const zh = searchMetricInChinese(target.textContent);
                    if (zh !== null) {
                        target.textContent = zh;
                    }
                }
                for (const node of mutation.addedNodes) {
                    if (node.nodeType === Node.ELEMENT_NODE) {
                        translateAttributes(node.parentNode || node);
                    }
                }
            }
        }).observe(document.body, {
            subtree: true,
            childList: true,
            attributes: true,
            attributeFilter: ['title', 'aria-label'],
        });
    }

    // mdbook-quiz renders its quizzes with React and hard-codes its labels in
    // English. Only the values of its text nodes are changed, never the nodes
    // themselves: React keeps references to them, and replacing them would
    // break the quiz. Its counter is made of separate nodes ("Question", " ",
    // "1", " ", "/", " ", "3"), hence labels that work one node at a time.
    const ZH_QUIZ_TEXT = {
        'Quiz': '小测验',
        'Start': '开始',
        'Question': '题目',
        'Question ': '题目 ',
        ' question': ' 道题',
        's': '',
        'Response': '你的回答',
        'Answer Review': '答案回顾',
        'You answered': '你答对了',
        'questions correctly.': '道题。',
        'You answered:': '你的答案：',
        'The correct answer is:': '正确答案：',
        'Context': '说明',
        'Context:': '说明：',
        'You can either': '你可以',
        'retry the quiz': '重做本测验',
        'or': '或者',
        'see the correct answers': '查看正确答案',
        '.': '。',
        // A Tracing question: the program, then "does it compile, and what
        // does it print?"; in the review, "This program does (not) compile."
        'Determine whether the program will pass the compiler. If it passes, write the expected output of the program if it were executed.':
            '判断这个程序能否通过编译。如果能，写出它运行时的输出。',
        'This program:': '这个程序：',
        'DOES compile': '能通过编译',
        'OR': '还是',
        'does NOT compile': '不能通过编译',
        'The output of this program will be:': '这个程序的输出是：',
        'This program': '这个程序',
        'does': '能',
        'does not': '不能',
        ' compile.': '通过编译。',
        'Why is this quiz fullscreen?': '为什么测验以全屏显示？',
        'We want to know how much you are learning that can be recalled without assistance. Please complete the quiz without re-reading the text, e.g. by opening it in another tab.':
            '我们想知道你学到的内容中有多少能不借助任何帮助回忆起来。请不要重读正文（例如在另一个标签页里打开它）来完成测验。',
    };

    function translateQuiz(root) {
        const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
        while (walker.nextNode()) {
            const node = walker.currentNode;
            // Only the quiz's own labels: never the text of a question,
            // an answer or an explanation, which the book supplies.
            if (node.parentElement.closest('.prompt > div, .choice, .md-flex')) {
                continue;
            }
            // In an explanation only its label, "**Context**:", is the quiz's.
            if (node.parentElement.closest('.context')) {
                const label = node.parentElement;
                if (label.tagName === 'STRONG' && node.nodeValue === 'Context') {
                    node.nodeValue = '说明';
                    const colon = label.nextSibling;
                    if (colon && colon.nodeType === Node.TEXT_NODE && colon.nodeValue.startsWith(':')) {
                        colon.nodeValue = '：' + colon.nodeValue.slice(1).trimStart();
                    }
                }
                continue;
            }
            // Exact matches, with surrounding white space as React wrote it
            // first, then trimmed.
            let zh = ZH_QUIZ_TEXT[node.nodeValue];
            if (zh === undefined) {
                const text = node.nodeValue.trim();
                zh = text === '' ? undefined : ZH_QUIZ_TEXT[text];
                if (zh !== undefined) {
                    zh = node.nodeValue.replace(text, zh);
                }
            }
            if (zh !== undefined && zh !== node.nodeValue) {
                node.nodeValue = zh;
                // "This program", " ", <strong>does</strong>: no space
                // between Chinese words.
                const next = node.nextSibling;
                if (zh === '这个程序' && next && next.nodeType === Node.TEXT_NODE && next.nodeValue === ' ') {
                    next.nodeValue = '';
                }
            }
        }
        for (const answer of root.querySelectorAll('textarea[placeholder]')) {
            answer.setAttribute('placeholder', '在这里写出程序的输出……');
        }
        for (const submit of root.querySelectorAll('input[type=submit]')) {
            submit.setAttribute('value', '提交');
        }
    }

    function translateQuizzes() {
        const quizzes = document.querySelectorAll('.quiz-placeholder');
        for (const quiz of quizzes) {
            translateQuiz(quiz);
            let pending = false;
            new MutationObserver(() => {
                // Batch React's updates; translating changes the DOM too,
                // so the observer sees its own edits once and finds nothing.
                if (!pending) {
                    pending = true;
                    requestAnimationFrame(() => {
                        pending = false;
                        translateQuiz(quiz);
                    });
                }
            }).observe(quiz, { subtree: true, childList: true, characterData: true });
        }
    }

    // ---- 3. Search that understands Chinese ----------------------------------

    // CJK ideographs, kana, hangul and full-width forms.
    const CJK_CLASS = '[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]';
    const CJK = new RegExp(CJK_CLASS + '+', 'g');
    const HAS_CJK = new RegExp(CJK_CLASS);

    function cjkTokens(run) {
        const chars = Array.from(run);
        if (chars.length === 1) {
            return chars;
        }
        const tokens = [];
        for (let i = 0; i + 1 < chars.length; i++) {
            tokens.push(chars[i] + chars[i + 1]);
        }
        return tokens;
    }

    function patchSearch() {
        if (typeof elasticlunr === 'undefined') {
            return;
        }
        const wordTokenizer = elasticlunr.tokenizer;
        const indexing = { on: false };
        const tokenizer = function (text) {
            if (text === null || text === undefined) {
                return [];
            }
            const str = Array.isArray(text) ? text.join(' ') : String(text);
            const tokens = wordTokenizer(str.replace(CJK, ' '));
            for (const run of str.match(CJK) || []) {
                // Indexed text gets single characters too, so a one-character
                // query (锁) finds them; a longer query uses its pairs only.
                if (indexing.on && Array.from(run).length > 1) {
                    tokens.push(...Array.from(run));
                }
                tokens.push(...cjkTokens(run));
            }
            return tokens;
        };
        tokenizer.seperator = wordTokenizer.seperator;
        tokenizer.setSeperator = wordTokenizer.setSeperator;
        tokenizer.resetSeperator = wordTokenizer.resetSeperator;
        tokenizer.getSeperator = wordTokenizer.getSeperator;
        elasticlunr.tokenizer = tokenizer;

        // The trimmer strips non-ASCII characters: keep CJK tokens whole.
        // (Replaced in the registry directly: registerFunction would warn.)
        const trimmer = elasticlunr.trimmer;
        const cjkAwareTrimmer = function (token) {
            return HAS_CJK.test(token) ? token : trimmer(token);
        };
        cjkAwareTrimmer.label = 'trimmer';
        elasticlunr.Pipeline.registeredFunctions.trimmer = cjkAwareTrimmer;

        // Rebuild the loaded index from its stored documents.
        const load = elasticlunr.Index.load;
        elasticlunr.Index.load = function (serialised) {
            const prebuilt = load.call(this, serialised);
            const docs = serialised.documentStore && serialised.documentStore.docs;
            if (!docs) {
                return prebuilt;
            }
            const index = elasticlunr(function () {
                this.setRef(serialised.ref);
                for (const field of serialised.fields) {
                    this.addField(field);
                }
            });
            index.pipeline = elasticlunr.Pipeline.load(serialised.pipeline);
            indexing.on = true;
            try {
                for (const id of Object.keys(docs)) {
                    index.addDoc(docs[id]);
                }
            } finally {
                indexing.on = false;
            }
            return index;
        };
    }

    patchSearch();
    addLanguagePicker();
    if (lang === 'zh-CN') {
        translateInterface();
        // The quiz script renders after the page has loaded.
        window.addEventListener('load', translateQuizzes);
    }
})();
